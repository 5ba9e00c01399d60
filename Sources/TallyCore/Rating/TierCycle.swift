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
            return EventTime(micros: CivilCalendar.firstDayOfMonth(containing: day) * microsPerDay - offsetMicros)
        }
    }
}
