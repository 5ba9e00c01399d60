import Foundation
import TallyAudit
import TallyCore

/// A stacked bar chart drawn as inline SVG (no script library): one bar per bucket, one
/// colour per series. Heights are geometry only, so converting to a Double is harmless here;
/// every figure a reader sees is the exact decimal text beside the chart.
struct StackedBarChart {
    var buckets: [String]
    var series: [String]
    /// values[bucket][series]
    var values: [String: [String: ExactSum]]

    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    func svg(width: Int = 900, height: Int = 240) -> String {
        let totals = buckets.map { b in series.reduce(0.0) { $0 + max(0, Double(values[b]?[$1]?.canonicalText ?? "0") ?? 0) } }
        let peak = max(totals.max() ?? 0, 1e-12)
        let plotHeight = Double(height - 40)
        let slot = Double(width - 60) / Double(max(buckets.count, 1))
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
        out += "<text x=\"0\" y=\"12\">\(HTMLPage.escape(String(format: "%.4g", peak)))</text>"
        for (i, bucket) in buckets.enumerated() {
            var y = plotHeight + 16
            let x = 50 + Double(i) * slot
            for (s, name) in series.enumerated() {
                let value = max(0, Double(values[bucket]?[name]?.canonicalText ?? "0") ?? 0)
                let h = value / peak * plotHeight
                guard h > 0 else { continue }
                y -= h
                out += "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(max(slot * 0.8, 1)))\" height=\"\(fmt(h))\" fill=\"\(Self.palette[s % Self.palette.count])\">"
                    + "<title>\(HTMLPage.escape("\(bucket) \(name): \(values[bucket]?[name]?.canonicalText ?? "0")"))</title></rect>"
            }
            if buckets.count <= 40 || i % max(1, buckets.count / 20) == 0 {
                out += "<text x=\"\(fmt(x))\" y=\"\(height - 8)\">\(HTMLPage.escape(String(bucket.suffix(5))))</text>"
            }
        }
        out += "</svg><div class=\"legend\">"
        for (s, name) in series.enumerated() {
            out += "<span style=\"color:\(Self.palette[s % Self.palette.count])\">■</span> \(HTMLPage.escape(name)) "
        }
        return out + "</div>"
    }

    private func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
}
