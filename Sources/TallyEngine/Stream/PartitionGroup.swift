import TallyCore

/// Time across the rater's input partitions (Kafka Streams' `PartitionGroup`): each
/// partition's event clock, which partitions are assigned and which were read to their
/// end, and the closing clock windows close on — the minimum of the partition clocks,
/// never moving back. Owned by the rater's thread; a value, so a test drives it alone.
struct PartitionGroup {
    typealias ID = StreamRater.PartitionID

    /// Each partition's event clock (a partition gets one once assigned or read from).
    private(set) var clocks: [ID: PartitionClock] = [:]
    /// The partitions declared by `assign`, and those read to their current end.
    private var assigned = Set<ID>()
    private var caughtUp = Set<ID>()
    /// The clock windows close on; nil until every assigned partition has delivered or
    /// been read to its end.
    private(set) var closingClock: EventTime?

    /// Until each assigned partition has delivered a sample or been read to its end, the
    /// closing clock does not move.
    mutating func assign(_ pid: ID) {
        assigned.insert(pid)
        if clocks[pid] == nil { clocks[pid] = PartitionClock() }
    }

    /// The partition was read to its current end (it may become idle); a record from it,
    /// or a reset of its position, clears this.
    mutating func reachedEnd(_ pid: ID) { caughtUp.insert(pid) }
    mutating func notAtEnd(_ pid: ID) { caughtUp.remove(pid) }

    /// A record of the partition was folded, its latest folded sample stamped `latestFolded`
    /// (nil: none): the partition is not at its end, nor idle, and its clock moves to that
    /// sample. `notAtEnd`, `observe` and `noteActivity` in one call, the clock probed once.
    mutating func noteRecord(_ pid: ID, latestFolded: EventTime?, wallNow: EventTime) {
        if !caughtUp.isEmpty { caughtUp.remove(pid) }
        PartitionGroup.note(&clocks[pid, default: PartitionClock()], latestFolded: latestFolded, wallNow: wallNow)
    }

    private static func note(_ clock: inout PartitionClock, latestFolded: EventTime?, wallNow: EventTime) {
        if let latestFolded { clock.observe(eventTime: latestFolded, wallTime: wallNow) }
        clock.noteActivity(wallTime: wallNow)
    }

    /// A record arrived: the partition is not idle, whether or not its clock moves.
    mutating func noteActivity(_ pid: ID, wallNow: EventTime) {
        clocks[pid, default: PartitionClock()].noteActivity(wallTime: wallNow)
    }

    /// A sample stamped `eventTime` was folded from the partition.
    mutating func observe(_ pid: ID, eventTime: EventTime, wallNow: EventTime) {
        clocks[pid, default: PartitionClock()].observe(eventTime: eventTime, wallTime: wallNow)
    }

    /// State read back at a restart.
    mutating func restore(_ pid: ID, clock: PartitionClock) { clocks[pid] = clock }
    mutating func restoreClosingClock(_ clock: EventTime) { closingClock = clock }

    /// Moves the closing clock: idle partitions advance with the wall clock, then the clock
    /// becomes the minimum over partitions (never moving back). `endOfInput` (a bounded
    /// input read whole) moves it to at least `latestDue`, the latest closing time of the
    /// open windows, so every window closes and a sample arriving later for one of them
    /// is late (a new revision), never a second revision 1.
    mutating func advance(wallNow: EventTime, idleTimeout: TimeSpan, endOfInput: Bool, latestDue: EventTime?) {
        // Only a partition read to its end can be idle: one that is behind is lagging,
        // and its old samples must still count.
        for pid in clocks.keys where caughtUp.contains(pid) {
            clocks[pid]!.advanceIfIdle(wallNow: wallNow, idleTimeout: idleTimeout)
        }
        var target = clocks.values.compactMap(\.clock).min()
        // An assigned partition that has delivered nothing and is not at its end may
        // still hold old samples: it holds the clock back.
        let waiting = clocks.contains { pid, clock in clock.clock == nil && assigned.contains(pid) && !caughtUp.contains(pid) }
        if waiting { target = nil }
        if endOfInput, let last = latestDue { target = max(target ?? last, last) }
        if let target, closingClock.map({ $0 < target }) ?? true { closingClock = target }
    }

    /// Where a window ending at `windowEnd` stands against the closing clock.
    enum Lateness: Equatable {
        /// Not closed yet (or no closing clock yet).
        case onTime
        /// Closed (end + grace passed) but within retention: its next revision.
        case late
        /// Past its retention: refused.
        case tooLate
    }

    func lateness(windowEnd: EventTime, grace: TimeSpan, retention: TimeSpan) -> Lateness {
        PartitionGroup.lateness(windowEnd: windowEnd, grace: grace, retention: retention, closingClock: closingClock)
    }

    /// The same against a closing clock read once (the fold reads it once per sample).
    static func lateness(windowEnd: EventTime, grace: TimeSpan, retention: TimeSpan, closingClock: EventTime?) -> Lateness {
        guard let clock = closingClock, windowEnd + grace <= clock else { return .onTime }
        return clock - (windowEnd + grace) > retention ? .tooLate : .late
    }
}
