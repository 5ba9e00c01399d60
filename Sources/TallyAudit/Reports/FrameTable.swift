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
    /// Written into one byte buffer: a 100,000-row `tally rate` table built each line from
    /// padded `String`s and joined them (~13% of the command's CPU). A column's width is its
    /// widest cell in characters (grapheme clusters), as `String.count` gives; an ASCII cell's
    /// is its byte count, found without `count`'s walk.
    public static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], width(cell)) } }
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * (widths.reduce(0, +) + 2 * widths.count + 1))
        for (n, row) in rows.enumerated() {
            if n > 0 { out.append(0x0A) }
            for (i, cell) in row.enumerated() {
                if i > 0 { out.append(0x20); out.append(0x20) }
                out.append(contentsOf: cell.utf8)
                if i < row.count - 1, i < widths.count {
                    out.append(contentsOf: repeatElement(0x20, count: max(0, widths[i] - width(cell))))
                }
            }
            if n == 0 {
                out.append(0x0A)
                for (i, w) in widths.enumerated() {
                    if i > 0 { out.append(0x20); out.append(0x20) }
                    out.append(contentsOf: repeatElement(UInt8(ascii: "-"), count: w))
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `cell.count`, read off the byte count when every byte is ASCII (one character each).
    static func width(_ cell: String) -> Int {
        let ascii = cell.utf8.withContiguousStorageIfAvailable { bytes in bytes.allSatisfy { $0 < 0x80 } }
        return ascii == true ? cell.utf8.count : cell.count
    }
}
