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
        public var quantity: ExactDecimal?
        public var unit: String
        public var price: ExactDecimal
        public var currency: String
        public var frames: Int
    }

    public var from: EventTime
    public var to: EventTime
    public var grouping: Grouping
    public private(set) var rows: [Row] = []
    /// Frames that are in the period but were not rated (`rating-failed`): counted, price 0.
    public private(set) var unratedFrames = 0

    /// Builds the report from a ledger of the frames topic; `scope` keeps one scope only.
    public init(ledger: FrameLedger, from: EventTime, to: EventTime, scope: String? = nil, grouping: Grouping = .scope) {
        self.from = from; self.to = to; self.grouping = grouping
        struct Key: Hashable { var scope: String; var group: String; var currency: String }
        struct Sum { var quantity = ExactDecimal.zero; var price = ExactDecimal.zero; var frames = 0
                     var metrics = Set<String>(); var unit = "" }
        var sums: [Key: Sum] = [:]
        for entry in ledger.latest.values {
            if let scope, entry.scope != scope { continue }
            guard let start = try? TimestampParser.parse(entry.windowStart), start >= from, start < to else { continue }
            if entry.status != "rated" { unratedFrames += 1 }
            let key = Key(scope: entry.scope, group: Self.groupValue(entry, grouping), currency: entry.currency)
            var sum = sums[key] ?? Sum()
            sum.quantity = sum.quantity + entry.quantity
            sum.price = sum.price + entry.price
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
                       price: sum.price, currency: key.currency, frames: sum.frames)
        }.sorted { ($0.scope, $0.group, $0.currency) < ($1.scope, $1.group, $1.currency) }
    }

    static func groupValue(_ entry: FrameLedger.Entry, _ grouping: Grouping) -> String {
        switch grouping {
        case .scope: return ""
        case .metric: return entry.metric
        case .resource: return entry.resource
        case .day: return String(entry.windowStart.prefix(10))  // window starts are UTC ISO 8601
        case .user:
            let object = (try? JSONSerialization.jsonObject(with: Data(entry.bytes))) as? [String: Any]
            return object?["user_id"] as? String ?? ""
        }
    }

    /// Totals per currency over every row.
    public var totals: [(currency: String, price: ExactDecimal, frames: Int)] {
        var out: [String: (ExactDecimal, Int)] = [:]
        for row in rows {
            let t = out[row.currency] ?? (.zero, 0)
            out[row.currency] = (t.0 + row.price, t.1 + row.frames)
        }
        return out.sorted { $0.key < $1.key }.map { ($0.key, $0.value.0, $0.value.1) }
    }

    private var groupHeader: String { grouping == .scope ? "" : grouping.rawValue }

    /// An aligned table with a total line per currency.
    public func table() -> String {
        var header = ["begin", "end", "scope"]
        if grouping != .scope { header.append(groupHeader) }
        header += ["quantity", "unit", "price", "frames"]
        var lines = [header]
        for row in rows {
            var line = [row.begin, row.end, row.scope]
            if grouping != .scope { line.append(row.group) }
            line += [row.quantity?.canonicalText ?? "-", row.unit, row.price.canonicalText + " " + row.currency, String(row.frames)]
            lines.append(line)
        }
        for total in totals {
            var line = ["total", "", ""]
            if grouping != .scope { line.append("") }
            line += ["", "", total.price.canonicalText + " " + total.currency, String(total.frames)]
            lines.append(line)
        }
        var text = TextTable.render(lines)
        if unratedFrames > 0 { text += "\n\(unratedFrames) frame(s) in the period failed rating and count 0 here" }
        return text
    }

    /// CSV (RFC 4180) with a header row: the columns CloudKitty's CSV report gave
    /// (begin, end, tenant, resource/metric, qty, unit, price, currency) and the frame count.
    public func csv() -> String {
        var out = "begin,end,tenant,\(grouping == .scope ? "group" : groupHeader),qty,unit,price,currency,frames\r\n"
        for row in rows {
            let fields = [row.begin, row.end, row.scope, row.group, row.quantity?.canonicalText ?? "", row.unit,
                          row.price.canonicalText, row.currency, String(row.frames)]
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
                     "group": .string(row.group), "quantity": row.quantity.map(CanonicalJSON.decimal) ?? .null,
                     "unit": .string(row.unit), "price": .decimal(row.price), "currency": .string(row.currency),
                     "frames": .integer(Int64(row.frames))])
        }
        let totalsJSON: [CanonicalJSON] = totals.map {
            .object(["currency": .string($0.currency), "price": .decimal($0.price), "frames": .integer(Int64($0.frames))])
        }
        return CanonicalJSON.object([
            "from": .string(Timestamps.iso8601(from)), "to": .string(Timestamps.iso8601(to)),
            "group_by": .string(grouping.rawValue), "rows": .array(rowsJSON), "totals": .array(totalsJSON),
            "unrated_frames": .integer(Int64(unratedFrames)),
        ]).text
    }
}
