/// The length of a metric's windows.
///
/// - `fixed`: a whole number of minutes that divides a day (PT1M, PT5M, PT15M, PT1H,
///   PT6H, PT24H…); windows are aligned to multiples of the length since the Unix
///   epoch, so they also align to UTC midnight. Time zones play no part.
/// - `day`: the calendar day in a zone, from local midnight to local midnight
///   (23 or 25 hours on DST change days).
/// - `month`: the calendar month in a zone, from local midnight on the 1st.
///
/// All lookups are integer arithmetic or a binary search in the zone's table.
public struct Period: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case fixed(TimeSpan)
        case day
        case month
    }

    public let kind: Kind
    /// The zone of `day` and `month` periods; `ZoneRules.utc` for fixed ones.
    public let zone: ZoneRules

    /// A fixed period; nil unless `length` is a whole number of minutes dividing 24 hours.
    public static func fixed(_ length: TimeSpan) -> Period? {
        let day = CivilCalendar.microsPerDay
        guard length.micros > 0, length.micros % 60_000_000 == 0, day % length.micros == 0 else { return nil }
        return Period(kind: .fixed(length), zone: .utc)
    }

    public static func day(in zone: ZoneRules) -> Period { Period(kind: .day, zone: zone) }
    public static func month(in zone: ZoneRules) -> Period { Period(kind: .month, zone: zone) }

    /// Parses `PT…` (fixed), `P1D` and `P1M` (in `zone`). Also accepts `PT24H` as fixed.
    /// Returns nil for anything else (`P2D`, `P1Y`, `PT7M`, …).
    public static func parse(_ text: String, zone: ZoneRules) -> Period? {
        guard let duration = ISODuration(text) else { return nil }
        switch (duration.months, duration.days, duration.timeMicros) {
        case (1, 0, 0): return .month(in: zone)
        case (0, 1, 0): return .day(in: zone)
        case (0, 0, let micros): return .fixed(TimeSpan(micros: micros))
        default: return nil
        }
    }

    /// ISO 8601 text: `PT1H`, `P1D`, `P1M`.
    public var description: String {
        switch kind {
        case .fixed(let length): return length.description
        case .day: return "P1D"
        case .month: return "P1M"
        }
    }

    /// The start of the window holding `t`.
    @inlinable public func windowStart(containing t: EventTime) -> EventTime {
        switch kind {
        case .fixed(let length): return EventTime(micros: floorDivide(t.micros, length.micros) * length.micros)
        case .day: return zone.dayStart(containing: t)
        case .month: return zone.monthStart(containing: t)
        }
    }

    /// The end (exclusive) of the window that starts at `start`, which is the start of
    /// the next window. `start` must be a window start of this period.
    @inlinable public func windowEnd(startingAt start: EventTime) -> EventTime {
        switch kind {
        case .fixed(let length): return EventTime(micros: start.micros + length.micros)
        case .day: return zone.nextDayStart(after: start)
        case .month: return zone.nextMonthStart(after: start)
        }
    }

    /// The window `[start, end)` holding `t`.
    @inlinable public func window(containing t: EventTime) -> WindowBounds {
        let start = windowStart(containing: t)
        return WindowBounds(start: start, end: windowEnd(startingAt: start))
    }
}

/// A half-open window `[start, end)` of event time.
public struct WindowBounds: Hashable, Sendable {
    public var start: EventTime
    public var end: EventTime
    @inlinable public init(start: EventTime, end: EventTime) { self.start = start; self.end = end }
    @inlinable public var length: TimeSpan { end - start }
    @inlinable public func contains(_ t: EventTime) -> Bool { start <= t && t < end }
}
