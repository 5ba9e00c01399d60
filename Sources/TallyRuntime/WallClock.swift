import Glibc
import TallyCore
import TallyThreads

/// The wall clock as an `EventTime`, read with clock_gettime (no `Date`).
public enum WallClock {
    public static func now() -> EventTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return EventTime(micros: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    /// Monotonic milliseconds, for batch timing (`TallyThreads`' clock, named here beside
    /// the wall clock for the many callers that time with it).
    public static func monotonicMillis() -> Int64 { TallyThreads.monotonicMillis() }
}
