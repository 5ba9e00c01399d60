/// One window of a billing cycle as the tier functions see it.
public struct TierWindow: Sendable, Hashable {
    public var start: EventTime
    public var quantity: ExactDecimal
    public init(start: EventTime, quantity: ExactDecimal) { self.start = start; self.quantity = quantity }
}

/// A window whose tiered price changes after an earlier window's quantity changed.
public struct TierRevision: Sendable, Hashable {
    public var windowStart: EventTime
    public var oldPrice: ExactDecimal
    public var newPrice: ExactDecimal
}

extension TierSchedule {
    /// Every window's price in a cycle, in start order (the input may be in any order).
    public func prices(cycleWindows: [TierWindow]) -> [(start: EventTime, price: ExactDecimal)] {
        let ordered = cycleWindows.sorted { $0.start < $1.start }
        var prior = ExactDecimal.zero
        var result: [(start: EventTime, price: ExactDecimal)] = []
        result.reserveCapacity(ordered.count)
        for (index, window) in ordered.enumerated() {
            result.append((window.start, windowPrice(priorQuantity: prior, priorWindows: index, quantity: window.quantity)))
            prior = prior + window.quantity
        }
        return result
    }

    /// The price of the window starting at `windowStart`, given all windows of its cycle
    /// in any order; nil when no such window is listed.
    public func windowPrice(cycleWindows: [TierWindow], windowStart: EventTime) -> ExactDecimal? {
        prices(cycleWindows: cycleWindows).first { $0.start == windowStart }?.price
    }

    /// The later windows of the cycle (start after `changedWindow`) whose price changes
    /// when the window at `changedWindow` gets `newQuantity` (it is added if missing).
    /// The changed window itself is left out: the caller re-rates it anyway.
    public func revisionsAfterChange(cycleWindows: [TierWindow], changedWindow: EventTime,
                                     newQuantity: ExactDecimal) -> [TierRevision] {
        var updated = cycleWindows.filter { $0.start != changedWindow }
        updated.append(TierWindow(start: changedWindow, quantity: newQuantity))
        let before = prices(cycleWindows: cycleWindows)
        let after = prices(cycleWindows: updated)
        var oldByStart: [EventTime: ExactDecimal] = [:]
        for entry in before { oldByStart[entry.start] = entry.price }
        return after.compactMap { entry in
            guard entry.start > changedWindow, let old = oldByStart[entry.start], old != entry.price else { return nil }
            return TierRevision(windowStart: entry.start, oldPrice: old, newPrice: entry.price)
        }
    }
}

/// Where billing cycles start: calendar months (in a fixed UTC offset) or a fixed length.
public enum BillingCycle: Sendable, Hashable {
    /// Calendar months, starting at local midnight of the 1st at `utcOffsetSeconds`.
    /// Fixed offsets only: daylight-saving zones would need a zone database.
    case calendarMonth(utcOffsetSeconds: Int = 0)
    /// Consecutive periods of `seconds`, aligned to `anchor`.
    case fixed(seconds: Int64, anchor: EventTime = EventTime(micros: 0))

    /// The start of the cycle containing `t`.
    public func cycleStart(containing t: EventTime) -> EventTime {
        switch self {
        case .fixed(let seconds, let anchor):
            let length = seconds * EventTime.microsPerSecond
            let offset = t.micros - anchor.micros
            let index = offset >= 0 ? offset / length : (offset - length + 1) / length
            return EventTime(micros: anchor.micros + index * length)
        case .calendarMonth(let utcOffsetSeconds):
            let offsetMicros = Int64(utcOffsetSeconds) * EventTime.microsPerSecond
            let local = t.micros + offsetMicros
            let microsPerDay = 86_400 * EventTime.microsPerSecond
            let day = local >= 0 ? local / microsPerDay : (local - microsPerDay + 1) / microsPerDay
            let (year, month, _) = CivilDate.fromDays(day)
            return EventTime(micros: CivilDate.days(year: year, month: month, day: 1) * microsPerDay - offsetMicros)
        }
    }
}

/// Proleptic Gregorian conversions between days since 1970-01-01 and (y, m, d).
enum CivilDate {
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func fromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
