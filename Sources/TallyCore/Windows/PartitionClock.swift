/// The event clock of one input partition, from which every metric's watermark follows.
///
/// The clock is the highest event time seen on the partition. A metric with grace `g`
/// has the watermark `clock − g`; its window `[start, end)` closes once
/// `clock − g ≥ end`. So one clock per partition serves metrics of different graces.
///
/// Idle advance: when no record has arrived for `idleTimeout` of wall-clock time, the
/// clock moves on with the wall clock from the last record: it becomes
/// `max(clock, min(lastEventTime + (wallNow − lastRecordWallTime), wallNow))`. It never
/// runs ahead of the wall clock that way, and never moves backwards. A quiet partition
/// therefore closes its windows about `idleTimeout` late instead of never.
///
/// Samples too far in the future must be rejected (`isFutureTimestamp`) before they are
/// observed, or one bad clock would close every window. A value type, not thread-safe:
/// owned by the partition's worker; persist `clock` with the partition's state.
public struct PartitionClock: Hashable, Sendable {
    /// The partition's event clock; nil until the first sample.
    public private(set) var clock: EventTime?
    /// The highest event time among observed samples (the clock without idle advance).
    public private(set) var maxEventTime: EventTime?
    /// Wall-clock time at which the last record was observed.
    public private(set) var lastRecordWallTime: EventTime?

    public init(clock: EventTime? = nil) {
        self.clock = clock
        self.maxEventTime = clock
    }

    /// Records a sample stamped `eventTime` that arrived at wall-clock `wallTime`.
    public mutating func observe(eventTime: EventTime, wallTime: EventTime) {
        if maxEventTime.map({ $0 < eventTime }) ?? true { maxEventTime = eventTime }
        if clock.map({ $0 < eventTime }) ?? true { clock = eventTime }
        lastRecordWallTime = wallTime
    }

    /// Records that a record without a usable sample (a duplicate, a dead letter) arrived:
    /// the partition is not idle, but its clock does not move.
    public mutating func noteActivity(wallTime: EventTime) {
        lastRecordWallTime = wallTime
    }

    /// Applies idle advance at wall-clock `wallNow`. Returns true if the clock moved.
    @discardableResult
    public mutating func advanceIfIdle(wallNow: EventTime, idleTimeout: TimeSpan) -> Bool {
        guard let last = maxEventTime, let lastWall = lastRecordWallTime else { return false }
        let idle = wallNow - lastWall
        guard idle >= idleTimeout else { return false }
        let followed = EventTime(micros: Swift.min(last.micros + idle.micros, wallNow.micros))
        guard let current = clock, current < followed else { return false }
        clock = followed
        return true
    }

    /// The watermark of a metric with grace `grace`: nil before any sample.
    @inlinable public func watermark(grace: TimeSpan) -> EventTime? { clock.map { $0 - grace } }

    /// True once the window ending at `windowEnd` is closed for a metric with `grace`.
    @inlinable public func isClosed(windowEnd: EventTime, grace: TimeSpan) -> Bool {
        guard let w = watermark(grace: grace) else { return false }
        return windowEnd <= w
    }

    /// True when a sample for the window ending at `windowEnd` comes too late to be
    /// folded: the watermark passed the window's end by more than `retention`.
    @inlinable public func isTooLate(windowEnd: EventTime, grace: TimeSpan, retention: TimeSpan) -> Bool {
        guard let w = watermark(grace: grace) else { return false }
        return (w - windowEnd) > retention
    }

    /// How a sample for the window ending at `windowEnd` is to be handled.
    @inlinable public func lateness(windowEnd: EventTime, grace: TimeSpan, retention: TimeSpan) -> Lateness {
        guard let w = watermark(grace: grace), windowEnd <= w else { return .onTime }
        return (w - windowEnd) > retention ? .tooLate : .late
    }

    /// True when `eventTime` is more than `maxSkew` ahead of the wall clock: dead-letter
    /// the sample as `future-timestamp`.
    @inlinable public static func isFutureTimestamp(_ eventTime: EventTime, wallNow: EventTime, maxSkew: TimeSpan) -> Bool {
        (eventTime - wallNow) > maxSkew
    }
}

/// Where a sample stands relative to its window and the watermark.
public enum Lateness: Hashable, Sendable {
    /// The window is open: fold.
    case onTime
    /// The window closed but is within retention: fold, reopen, emit a new revision.
    case late
    /// Past retention: dead-letter as `too-late`.
    case tooLate
}
