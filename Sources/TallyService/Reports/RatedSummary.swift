import Foundation
import TallyAudit
import TallyCore
import TallyIndex

/// The arithmetic behind CloudKitty's summaries (`/v2/summary`, `/v1/report/summary`):
/// the latest revision of each frame in the period, filtered, grouped, and summed exactly.
/// Pure over the terms it is given (the index's rollup cells, its compact summaries, or
/// decoded frames), so the endpoints and `tally report` agree by construction (both sum with
/// `ExactSum`, nothing rounded). `compute` reads the rollups whenever they can answer.
struct RatedSummary {
    struct Row {
        var begin: EventTime
        var end: EventTime
        /// One value per grouping key that is not a time key (nil: the frame has no such field).
        var groups: [String?]
        var qty = ExactSum()
        var rate = ExactSum()
    }

    /// The time grouping keys: `time` is the frame's own window; the others calendar periods (UTC).
    static let timeKeys: Set<String> = ["time", "time-d", "time-w", "time-m", "time-y"]

    private struct Key: Hashable { var begin: Int64; var end: Int64; var groups: [String?] }

    let groupKeys: [String]
    let timeKey: String?
    private(set) var rows: [Row] = []

    init<Frame: SummaryTerm>(frames: [Frame], begin: EventTime, end: EventTime, groupby: [String], filters: [String: Set<String>]) {
        timeKey = groupby.last(where: { Self.timeKeys.contains($0) })
        var seenKeys = Set<String>()
        groupKeys = groupby.filter { !Self.timeKeys.contains($0) && seenKeys.insert($0).inserted }
        var sums: [Key: Row] = [:]
        for frame in frames where Self.matches(frame, filters) {
            let (b, e) = timeKey.map { Self.bucket(frame, $0) } ?? (begin, end)
            let groups = groupKeys.map { frame.value(of: $0) }
            let key = Key(begin: b.micros, end: e.micros, groups: groups)
            var row = sums[key] ?? Row(begin: b, end: e, groups: groups)
            row.qty.add(frame.quantity)
            row.rate.add(frame.price)
            sums[key] = row
        }
        rows = sums.values.sorted { a, b in
            if a.begin != b.begin { return a.begin < b.begin }
            // Windows of different lengths can start together (`time` groups by the frame's window).
            if a.end != b.end { return a.end < b.end }
            return a.groups.map { $0 ?? "" }.lexicographicallyPrecedes(b.groups.map { $0 ?? "" })
        }
    }

    /// Every filter key must match one of its values (`type` is the metric).
    static func matches(_ frame: some SummaryTerm, _ filters: [String: Set<String>]) -> Bool {
        filters.allSatisfy { key, values in frame.value(of: key).map(values.contains) ?? false }
    }

    static let utc: Calendar = {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// The period of `key` that holds the frame's window start.
    static func bucket(_ frame: some SummaryTerm, _ key: String) -> (EventTime, EventTime) {
        let component: Calendar.Component
        switch key {
        case "time-d": component = .day
        case "time-w": component = .weekOfYear
        case "time-m": component = .month
        case "time-y": component = .year
        default: return (frame.windowStart, frame.windowEnd)
        }
        guard let interval = utc.dateInterval(of: component, for: frame.windowStart.date) else {
            return (frame.windowStart, frame.windowEnd)
        }
        return (EventTime(date: interval.start), EventTime(date: interval.end))
    }
}
