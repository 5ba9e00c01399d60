import Foundation
import Synchronization

/// A thread of Tally's own (the topic followers of the frame index and the rule log, the
/// rater's decode and commit threads, the rule log's decode thread): started once under an OS
/// thread name, asked to stop by a flag its loop checks between polls, and joined by
/// `stop()`, which therefore waits at most one poll of the loop.
// @unchecked: the flags are atomics and the semaphore is thread-safe; `name` never changes.
public final class FollowerThread: @unchecked Sendable {
    private let name: String
    private let stopping = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    public init(name: String) { self.name = name }

    /// Whether `stop()` was called: the loop ends when it sees this.
    public var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Runs `body` on a new thread named after the follower (for the OS: `ThreadName`).
    public func start(_ body: @escaping () -> Void) {
        let thread = Thread { [name, finished] in
            ThreadName.setCurrent(name)
            body()
            finished.signal()
        }
        thread.name = name
        running.store(true, ordering: .releasing)
        thread.start()
    }

    /// Raises the stop flag, calls `wake` (to rouse whoever waits on the follower's own
    /// condition), then waits for the loop to return. Returns at once if it never started or
    /// was stopped already.
    public func stop(wake: () -> Void = {}) {
        stopping.store(true, ordering: .releasing)
        wake()
        if running.exchange(false, ordering: .acquiringAndReleasing) { finished.wait() }
    }
}
