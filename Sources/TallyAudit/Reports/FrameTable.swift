import TallyCore

/// Frames as an aligned text table, with a total per currency. Every revision is listed, but
/// the total counts each window once, at its latest revision: a revision replaces the price of
/// the one before it (its `price_delta` is the change), it does not add to it. The total is exact
/// (`ExactSum`, as the reports' totals): `ExactDecimal` addition rounds to 28 significant digits
/// (docs/MONEY.md), and the sum used to be taken in a dictionary's order, which varies from one
/// dictionary to the next, so its last digits moved for the same frames.
///
/// Built from the engine's `Frame` values as they are sealed (`tally rate`'s default format),
/// so only the row's texts are kept, not each frame's ~1 KB of JSON, and nothing is parsed back:
/// reading every frame's JSON with `JSONSerialization` was ~33 µs a window, three quarters of
/// `tally rate`'s CPU for 100,000 windows (7 Dec 2026).
public struct FrameTable {
    static let header = ["window start", "metric", "scope", "resource", "groupby", "quantity", "unit", "price", "rev"]
    private var rows: [[String]] = [Self.header]
    /// Each window's latest revision, by frame id.
    private var latest: [String: (revision: Int, currency: String, price: ExactDecimal)] = [:]

    public init() {}

    /// Adds `frame`'s row; its price counts in the total unless a later revision of the
    /// same window replaces it.
    public mutating func add(_ frame: Frame) {
        let groupby = frame.groupby.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.cellText($0.value))" }
        let price = frame.price.canonicalText
        let failed: Bool
        switch frame.status {
        case .rated: failed = false
        case .ratingFailed: failed = true
        }
        if (latest[frame.frameId]?.revision ?? Int.min) < frame.revision {
            latest[frame.frameId] = (frame.revision, frame.currency, frame.price)
        }
        rows.append([Timestamps.iso8601(frame.windowStart), frame.metric, frame.scope, frame.resourceId,
                     groupby.joined(separator: ","), frame.quantity.canonicalText, frame.unit,
                     price + " " + frame.currency + (failed ? " (rating failed)" : ""), "\(frame.revision)"])
    }

    /// The table: a header, a row per frame in the order they were added, then a total per
    /// currency (sorted by currency; exact, see above).
    public func render() -> String {
        var total: [String: ExactSum] = [:]
        for (_, frame) in latest { total[frame.currency, default: ExactSum()].add(frame.price) }
        var rows = self.rows
        for (currency, sum) in total.sorted(by: { $0.key < $1.key }) {
            rows.append(["total", "", "", "", "", "", "", sum.canonicalText + " " + currency, ""])
        }
        return TextTable.render(rows)
    }

    /// A groupby value as a cell: a string as itself, anything else as its canonical JSON.
    static func cellText(_ value: CanonicalJSON) -> String {
        if case .string(let text) = value { return text }
        return value.text
    }
}

/// Left-aligned columns separated by two spaces; the first row is the header.
public enum TextTable {
    public static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return rows.enumerated().map { n, row in
            let line = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
            return n == 0 ? line + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") : line
        }.joined(separator: "\n")
    }
}
