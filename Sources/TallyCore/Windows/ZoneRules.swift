/// The UTC offsets of one IANA time zone as a table of transitions, so that local
/// midnights and month starts are found by binary search, with no Foundation call
/// per sample. Built once at configuration load (`ZoneRules(identifier:)` in
/// ZoneRules+Foundation.swift) and immutable afterwards.
public final class ZoneRules: Sendable, Hashable, CustomStringConvertible {
    /// The IANA name, e.g. `Europe/Paris`, or `UTC`.
    public let identifier: String
    /// Instants (µs UTC) at which the offset changes, ascending.
    @usableFromInline let transitions: [Int64]
    /// `offsets[i]` (µs east of UTC) holds before `transitions[i]`; the last one after all.
    @usableFromInline let offsets: [Int64]

    /// A zone from an explicit table; `offsets.count` must be `transitions.count + 1`.
    public init(identifier: String, transitions: [Int64], offsets: [Int64]) {
        precondition(offsets.count == transitions.count + 1, "one more offset than transitions")
        self.identifier = identifier
        self.transitions = transitions
        self.offsets = offsets
    }

    public static let utc = ZoneRules(identifier: "UTC", transitions: [], offsets: [0])

    public var description: String { identifier }
    public static func == (a: ZoneRules, b: ZoneRules) -> Bool { a.identifier == b.identifier }
    public func hash(into hasher: inout Hasher) { hasher.combine(identifier) }

    /// The offset east of UTC (µs) in force at instant `t`.
    @inlinable public func offset(at t: EventTime) -> Int64 { offsets[transitionCount(atOrBefore: t.micros)] }

    /// Local wall-clock time at `t`, as µs since 1970-01-01T00:00 local.
    @inlinable public func localMicros(at t: EventTime) -> Int64 { t.micros + offset(at: t) }

    /// How many transitions happen at or before `t`.
    @usableFromInline func transitionCount(atOrBefore t: Int64) -> Int {
        var low = 0, high = transitions.count
        while low < high {
            let mid = (low + high) >> 1
            if transitions[mid] <= t { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The first instant whose local time is `local` (µs since 1970-01-01T00:00 local).
    /// When the clocks went back, `local` happened twice: the earlier instant is used.
    /// When `local` was skipped (clocks went forward over it), the instant of the jump is
    /// used, which is where the local day or month really began.
    public func firstInstant(ofLocal local: Int64) -> EventTime {
        // Real offsets stay within ±18 h and change at most once within 36 h.
        let window: Int64 = 18 * 3_600_000_000
        let before = offsets[transitionCount(atOrBefore: local - window)]
        let after = offsets[transitionCount(atOrBefore: local + window)]
        // No array literal here: this runs per sample for P1D and P1M periods.
        let early = local - Swift.max(before, after), late = local - Swift.min(before, after)
        if offsets[transitionCount(atOrBefore: early)] == local - early { return EventTime(micros: early) }
        if offsets[transitionCount(atOrBefore: late)] == local - late { return EventTime(micros: late) }
        // In a gap: the jump is the first transition after `local - after`.
        let index = transitionCount(atOrBefore: local - after)
        return EventTime(micros: index < transitions.count ? transitions[index] : local - after)
    }

    /// The start of the local day holding `t`.
    public func dayStart(containing t: EventTime) -> EventTime {
        let day = floorDivide(localMicros(at: t), CivilCalendar.microsPerDay)
        return firstInstant(ofLocal: day * CivilCalendar.microsPerDay)
    }

    /// The start of the local day after the one holding `t`.
    public func nextDayStart(after t: EventTime) -> EventTime {
        let day = floorDivide(localMicros(at: t), CivilCalendar.microsPerDay)
        return firstInstant(ofLocal: (day + 1) * CivilCalendar.microsPerDay)
    }

    /// The start (local midnight of the 1st) of the calendar month holding `t`.
    public func monthStart(containing t: EventTime) -> EventTime {
        let day = floorDivide(localMicros(at: t), CivilCalendar.microsPerDay)
        return firstInstant(ofLocal: CivilCalendar.firstDayOfMonth(containing: day) * CivilCalendar.microsPerDay)
    }

    /// The start of the calendar month after the one holding `t`.
    public func nextMonthStart(after t: EventTime) -> EventTime {
        let day = floorDivide(localMicros(at: t), CivilCalendar.microsPerDay)
        return firstInstant(ofLocal: CivilCalendar.firstDayOfNextMonth(after: day) * CivilCalendar.microsPerDay)
    }
}
