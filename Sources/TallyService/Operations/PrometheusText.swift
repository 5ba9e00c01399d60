import TallyCore

/// Prometheus text exposition format 0.0.4: `# HELP`, `# TYPE`, then samples.
struct PrometheusText {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    private(set) var output = ""

    mutating func header(_ name: String, _ help: String, type: String) {
        output += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, labels: [String: String] = [:], _ value: Double) {
        let rendered = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escape($0.value))\"" }
        output += name + (rendered.isEmpty ? "" : "{" + rendered.joined(separator: ",") + "}") + " " + Self.number(value) + "\n"
    }

    mutating func gauge(_ name: String, _ help: String, _ value: Double) {
        header(name, help, type: "gauge"); sample(name, value)
    }

    mutating func counter(_ name: String, _ help: String, _ value: Double) {
        header(name, help, type: "counter"); sample(name, value)
    }

    /// A histogram: cumulative `_bucket{le}` samples, `_sum` (seconds) and `_count`.
    mutating func histogram(_ name: String, _ help: String, _ histogram: LatencyHistogram) {
        header(name, help, type: "histogram")
        for bucket in histogram.cumulativeBuckets {
            sample(name + "_bucket", labels: ["le": bucket.le], Double(bucket.count))
        }
        sample(name + "_sum", histogram.sumSeconds)
        sample(name + "_count", Double(histogram.count))
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
