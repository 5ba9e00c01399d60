import Glibc
import Synchronization

/// SIGTERM and SIGINT ask the rater to drain and stop; the handler only sets a flag.
public enum StopSignal {
    private static let requested = Atomic<Bool>(false)

    public static func install() {
        signal(SIGTERM) { _ in StopSignal.requested.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in StopSignal.requested.store(true, ordering: .relaxed) }
        // A parent may have started us with these signals blocked (a blocked mask is
        // inherited, and some runtimes block signals on their threads): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    public static var isRequested: Bool { requested.load(ordering: .relaxed) }
}
