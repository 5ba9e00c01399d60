import Foundation
import TallyCore
import TallyWire

/// Totals of rated usage over a period (`tally report`), from the latest revision of
/// every frame whose window starts in `[from, to)`: per scope, optionally split by
/// metric, resource, user or UTC day. Currencies are never added together: the
/// currency is part of every row's key.
public struct UsageReport: Sendable {
    /// How rows are split within a scope.
    public enum Grouping: String, Sendable, CaseIterable {
        case scope, metric, resource, user, day
    }

    /// One line of the report.
    public struct Row: Sendable, Equatable {
        public var begin: String
        public var end: String
        public var scope: String
        /// The grouping value (metric, resource id, user id or day); empty when grouped by scope only.
        public var group: String
        /// The summed quantity, only when every frame of the row measures the same metric
        /// (adding instance-hours to gigabytes means nothing).
        public var quantity: ExactSum?
        public var unit: String
        /// The exact sum of the frames' prices (nothing rounded).
        public var price: ExactSum
        public var currency: String
        public var frames: Int
        /// The scope's name when the frames' metadata carry one (`project_name`).
        public var scopeName: String?
    }

    public var from: EventTime
    public var to: EventTime
    public var grouping: Grouping
    public private(set) var rows: [Row] = []
    /// Frames that are in the period but were not rated (`rating-failed`): counted, price 0.
    public private(set) var unratedFrames = 0
    /// The end of the latest window emitted on the frames topic (any scope): later windows
    /// are still open, not yet emitted or had no usage, so a period reaching past it is not
    /// known to be complete.
    public private(set) var closedThrough: EventTime?
    /// Decimal places shown in the table (nil: the currency's minor unit).
    public var displayDecimals: Int?

    /// Builds the report from a ledger of the frames topic; `scope` keeps one scope only.
    public init(ledger: FrameLedger, from: EventTime, to: EventTime, scope: String? = nil, grouping: Grouping = .scope) {
        self.from = from; self.to = to; self.grouping = grouping
        struct Key: Hashable { var scope: String; var group: String; var currency: String }
        struct Sum { var quantity = ExactSum(); var price = ExactSum(); var frames = 0
                     var metrics = Set<String>(); var unit = "" }
        var sums: [Key: Sum] = [:]
        var names: [String: String] = [:]
        var latestStart: (start: EventTime, entry: FrameLedger.Entry)?
        // A fixed order (by frame id); the sums are exact, so the order cannot change them.
        for entry in ledger.latest.values.sorted(by: { $0.frameId < $1.frameId }) {
            let start = try? TimestampParser.parse(entry.windowStart)
            if let start, latestStart.map({ start > $0.start }) ?? true { latestStart = (start, entry) }
            if let scope, entry.scope != scope { continue }
            guard let start, start >= from, start < to else { continue }
            if names[entry.scope] == nil, let name = entry.scopeName { names[entry.scope] = name }
            if entry.status != "rated" { unratedFrames += 1 }
            let key = Key(scope: entry.scope, group: Self.groupValue(entry, grouping), currency: entry.currency)
            var sum = sums[key] ?? Sum()
            sum.quantity.add(entry.quantity)
            sum.price.add(entry.price)
            framePrices[entry.currency, default: []].append(entry.price)
            sum.frames += 1
            sum.metrics.insert(entry.metric)
            sum.unit = entry.unit
            sums[key] = sum
        }
        let begin = Timestamps.iso8601(from), end = Timestamps.iso8601(to)
        rows = sums.map { key, sum in
            let single = sum.metrics.count == 1
            var rowBegin = begin, rowEnd = end
            if grouping == .day, let day = try? TimestampParser.parse(key.group + "T00:00:00Z") {
                rowBegin = Timestamps.iso8601(max(day, from))
                rowEnd = Timestamps.iso8601(min(day + TimeSpan.days(1), to))
            }
            return Row(begin: rowBegin, end: rowEnd, scope: key.scope, group: key.group,
                       quantity: single ? sum.quantity : nil, unit: single ? sum.unit : "",
                       price: sum.price, currency: key.currency, frames: sum.frames, scopeName: names[key.scope])
        }.sorted { ($0.scope, $0.group, $0.currency) < ($1.scope, $1.group, $1.currency) }
        if let latest = latestStart {
            closedThrough = (try? TimestampParser.parse(latest.entry.windowEnd)) ?? latest.start
        }
    }

    /// Every scope the frames topic has frames for (an unknown `--scope` is an error).
    public static func scopes(in ledger: FrameLedger) -> Set<String> { Set(ledger.latest.values.map(\.scope)) }

    /// Whether every window of the period has closed and been emitted.
    public var isComplete: Bool { closedThrough.map { to <= $0 } ?? false }

    static func groupValue(_ entry: FrameLedger.Entry, _ grouping: Grouping) -> String {
        switch grouping {
        case .scope: return ""
        case .metric: return entry.metric
        case .resource: return entry.resource
        case .day: return String(entry.windowStart.prefix(10))  // window starts are UTC ISO 8601
        case .user: return entry.userId
        }
    }

    /// Totals per currency over every row, exact; summed frame by frame again (not from
    /// the rows' sums), so a total never carries a row's rounding.
    public var totals: [(currency: String, price: ExactSum, frames: Int)] {
        var out: [String: (ExactSum, Int)] = [:]
        for (currency, prices) in framePrices {
            out[currency] = (ExactSum.of(prices), prices.count)
        }
        return out.sorted { $0.key < $1.key }.map { ($0.key, $0.value.0, $0.value.1) }
    }

    /// Every counted frame's price, per currency (for exact totals).
    private var framePrices: [String: [ExactDecimal]] = [:]

    /// The price as the table shows it: rounded to the currency's minor unit.
    public func display(_ price: ExactSum, currency: String) -> String {
        price.rounded(toDecimals: CurrencyMinorUnits.decimals(for: currency, override: displayDecimals))
    }

    /// One line on how complete the period is.
    public var completeness: String { Self.completeness(closedThrough: closedThrough, from: from, to: to) }

    /// The same line for a period and the end of the latest window emitted (nil: none), for
    /// callers that total frames themselves (the dashboard's overview).
    public static func completeness(closedThrough: EventTime?, from: EventTime, to: EventTime) -> String {
        guard let closedThrough else { return "no frames emitted yet: the period is not billed at all" }
        if to <= closedThrough { return "complete: every window of the period has closed" }
        // The frames topic cannot tell an open window from usage that never came (after
        // `--until-drained` every window has closed), so the line names both.
        return "not complete: the latest window emitted ends \(Timestamps.iso8601(closedThrough)); "
            + "after \(Timestamps.iso8601(max(closedThrough, from))) windows are still open, not yet emitted, or had no usage"
    }

    private var groupHeader: String { grouping == .scope ? "" : grouping.rawValue }

    /// An aligned table with a total line per currency.
    public func table() -> String {
        var header = ["begin", "end", "scope"]
        if grouping != .scope { header.append(groupHeader) }
        header += ["quantity", "unit", "price", "frames"]
        var lines = [header]
        for row in rows {
            var line = [row.begin, row.end, row.scope + (row.scopeName.map { " (\($0))" } ?? "")]
            if grouping != .scope { line.append(row.group) }
            line += [row.quantity?.canonicalText ?? "-", row.unit, display(row.price, currency: row.currency) + " " + row.currency,
                     String(row.frames)]
            lines.append(line)
        }
        for total in totals {
            var line = ["total", "", ""]
            if grouping != .scope { line.append("") }
            line += ["", "", display(total.price, currency: total.currency) + " " + total.currency, String(total.frames)]
            lines.append(line)
        }
        var text = TextTable.render(lines)
        text += "\nprices rounded to the currency's minor unit for display (exact figures: --format json or csv); the total is "
            + "the exact sum of every frame, rounded once"
        text += "\n" + completeness
        if unratedFrames > 0 { text += "\n\(unratedFrames) frame(s) in the period failed rating and count 0 here" }
        return text
    }

    /// CSV (RFC 4180) with a header row: the columns CloudKitty's CSV report gave
    /// (begin, end, tenant, resource/metric, qty, unit, price, currency) and the frame count.
    public func csv() -> String {
        var out = "begin,end,tenant,\(grouping == .scope ? "group" : groupHeader),qty,unit,price,currency,frames\r\n"
        for row in rows {
            let fields = [row.begin, row.end, row.scope, row.group, row.quantity?.canonicalText ?? "", row.unit,
                          row.price.canonicalText, row.currency, String(row.frames)]  // exact figures
            out += fields.map(Self.csvField).joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Canonical JSON: the period, the grouping, the rows (decimals as strings) and the totals.
    public func json() -> String {
        let rowsJSON: [CanonicalJSON] = rows.map { row in
            .object(["begin": .string(row.begin), "end": .string(row.end), "scope": .string(row.scope),
                     "scope_name": row.scopeName.map(CanonicalJSON.string) ?? .null,
                     "group": .string(row.group), "quantity": row.quantity.map { .string($0.canonicalText) } ?? .null,
                     "unit": .string(row.unit), "price": .string(row.price.canonicalText),
                     "price_rounded": .string(display(row.price, currency: row.currency)), "currency": .string(row.currency),
                     "frames": .integer(Int64(row.frames))])
        }
        let totalsJSON: [CanonicalJSON] = totals.map {
            .object(["currency": .string($0.currency), "price": .string($0.price.canonicalText),
                     "price_rounded": .string(display($0.price, currency: $0.currency)), "frames": .integer(Int64($0.frames))])
        }
        return CanonicalJSON.object([
            "from": .string(Timestamps.iso8601(from)), "to": .string(Timestamps.iso8601(to)),
            "group_by": .string(grouping.rawValue), "rows": .array(rowsJSON), "totals": .array(totalsJSON),
            "unrated_frames": .integer(Int64(unratedFrames)), "complete": .bool(isComplete),
            "closed_through": closedThrough.map { .string(Timestamps.iso8601($0)) } ?? .null,
        ]).text
    }
}
