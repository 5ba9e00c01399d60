import Foundation
import TallyRuntime
import TallyThreads

/// The thread that commits the rater's LMDB write transactions when commits are durable
/// (`engine.commit_thread`; `LMDBStateStore(commitBehind:)`). A durable LMDB commit waits
/// for two `fdatasync`s; on this thread they overlap the rater's next poll and fold instead of
/// stopping it. LMDB ties a write transaction to the thread that began it (its writer mutex),
/// so the whole transaction runs here: `run` hands over a job, which runs the rater's body
/// (while the rater's thread waits, so the body may use the rater's state as if it ran there),
/// says so through `finishBody`, then commits while the rater's thread goes on.
///
/// A failed commit is kept and thrown by every later `awaitCommitted` (and so by every later
/// read or write of the store): the rater stops, and its next start reads the state as the last
/// successful commit left it.
// @unchecked: every stored property except `thread` is read and written only under `condition`.
final class CommitThread: @unchecked Sendable {
    static let name = "tally-commit"

    typealias Job = (_ finishBody: () -> Void) throws -> Void

    private let condition = NSCondition()
    private var job: Job?
    /// The job running now has finished its body (the rater's thread may go on).
    private var bodyFinished = true
    /// A job is waiting or running (its body or its commit).
    private var busy = false
    /// Jobs handed to `run` and jobs ended, counted from 1: a job's number is its ticket.
    private var submitted: UInt64 = 0
    private var ended: UInt64 = 0
    private var failure: Error?
    private var stopped = false
    private let thread = FollowerThread(name: CommitThread.name)

    init() {
        thread.start { [self] in
            defer { ThreadName.noteEnding() }
            while let job = nextJob() {
                do { try job(finishBody) } catch { fail(error) }
                condition.lock()
                bodyFinished = true
                busy = false
                ended += 1
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    /// Runs `job` on the thread and returns its ticket once it called `finishBody` (or ended
    /// without calling it); the rest of the job (the commit) goes on. Waits first for the job
    /// before it to end.
    @discardableResult
    func run(_ job: @escaping Job) -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        while busy { condition.wait() }
        self.job = job
        busy = true
        bodyFinished = false
        submitted += 1
        condition.broadcast()
        while !bodyFinished { condition.wait() }
        return submitted
    }

    /// The ticket of the last job handed to `run` (0 before any).
    var lastTicket: UInt64 { locked { submitted } }

    /// Waits until job `ticket` and every job before it have ended (all of them if nil);
    /// throws the first failure any job had.
    func awaitEnded(through ticket: UInt64? = nil) throws {
        condition.lock()
        defer { condition.unlock() }
        while ended < (ticket ?? submitted) { condition.wait() }
        if let failure { throw failure }
    }

    /// Whether job `ticket` and every job before it have ended, without waiting; throws the
    /// first failure any job had.
    func hasEnded(through ticket: UInt64) throws -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        return ended >= ticket
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    /// Lets the running job end, then ends the thread.
    func stop() {
        thread.stop {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }
    }

    private func nextJob() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while job == nil && !stopped { condition.wait() }
        let next = job
        job = nil
        return next
    }

    private func finishBody() {
        condition.lock()
        bodyFinished = true
        condition.broadcast()
        condition.unlock()
    }

    private func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.unlock()
    }
}
