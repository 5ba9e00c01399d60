import Glibc
import Synchronization

/// SIGTERM and SIGINT ask the rater to drain and stop; the handler only sets a flag.
public enum StopSignal {
    private static let requested = Atomic<Bool>(false)

    public static func install() {
        signal(SIGTERM) { _ in StopSignal.requested.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in StopSignal.requested.store(true, ordering: .relaxed) }
    }

    public static var isRequested: Bool { requested.load(ordering: .relaxed) }
}
