import Foundation
import TallyCore

/// Frames as an aligned text table, with a total per currency. Every revision is listed, but
/// the total counts each window once, at its latest revision: a revision replaces the price of
/// the one before it (its `price_delta` is the change), it does not add to it.
public enum FrameTable {
    public static func render(_ frames: [[UInt8]]) -> String {
        var rows: [[String]] = [["window start", "metric", "scope", "resource", "groupby", "quantity", "unit", "price", "rev"]]
        var latest: [String: (revision: Int, currency: String, price: ExactDecimal)] = [:]
        for bytes in frames {
            guard let f = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { continue }
            let window = f["window"] as? [String: Any] ?? [:]
            let groupby = (f["groupby"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let price = f["price"] as? String ?? ""
            let currency = f["currency"] as? String ?? ""
            let revision = f["revision"] as? Int ?? 0
            if let p = ExactDecimal(price), let id = f["frame_id"] as? String, (latest[id]?.revision ?? Int.min) < revision {
                latest[id] = (revision, currency, p)
            }
            rows.append([window["start"] as? String ?? "", f["metric"] as? String ?? "",
                         (f["scope"] as? [String: Any])?["id"] as? String ?? "", f["resource_id"] as? String ?? "",
                         groupby.joined(separator: ","), f["quantity"] as? String ?? "", f["unit"] as? String ?? "",
                         price + " " + currency + ((f["status"] as? String) == "rated" ? "" : " (rating failed)"),
                         "\(revision)"])
        }
        var total: [String: ExactDecimal] = [:]
        for (_, frame) in latest { total[frame.currency, default: .zero] = total[frame.currency, default: .zero] + frame.price }
        for (currency, sum) in total.sorted(by: { $0.key < $1.key }) {
            rows.append(["total", "", "", "", "", "", "", sum.canonicalText + " " + currency, ""])
        }
        return TextTable.render(rows)
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
