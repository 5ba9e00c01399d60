import Glibc

/// CLOCK_MONOTONIC in nanoseconds: phase timings and waits shorter than a millisecond that
/// add up.
@inlinable public func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CLOCK_MONOTONIC in milliseconds: deadlines and batch timings.
@inlinable public func monotonicMillis() -> Int64 {
    Int64(monotonicNanos() / 1_000_000)
}

/// The calling thread's CPU time in nanoseconds (CLOCK_THREAD_CPUTIME_ID): the figures that
/// a shared machine's scheduler does not inflate, and what a helper thread reports of its
/// own work (the rule log's decode thread).
@inlinable public func threadCPUNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
