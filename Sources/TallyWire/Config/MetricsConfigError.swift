import TallyCore

/// Everything wrong with a metrics file, all at once, so an operator fixes it in one go.
public struct MetricsConfigError: Error, CustomStringConvertible, Sendable {
    /// One problem: which metric and field, where in the file, and what is wrong.
    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        /// The metric's key, nil for a top-level setting.
        public var metric: String?
        /// The field's path inside the metric (or the top-level key): `factor`,
        /// `metadata[2].from`, `extra_args.aggregation_method`, `time_zone`.
        public var field: String
        /// 1-based position of the offending node in the YAML text, when known.
        public var line: Int?
        public var column: Int?
        public var message: String

        public init(metric: String?, field: String, line: Int?, column: Int?, message: String) {
            self.metric = metric; self.field = field; self.line = line; self.column = column; self.message = message
        }

        /// `line 12, column 13: metric 'cpu', field 'factor': …`
        public var description: String {
            var text = ""
            if let line { text += "line \(line)" + (column.map { ", column \($0)" } ?? "") + ": " }
            if let metric { text += "metric '\(metric)', " }
            return text + "field '\(field)': \(message)"
        }
    }

    /// The file read, when loaded from a path.
    public var file: String?
    public var problems: [Problem]

    public init(file: String?, problems: [Problem]) { self.file = file; self.problems = problems }

    public var description: String {
        let head = "invalid metrics configuration" + (file.map { " \($0)" } ?? "")
            + " (\(problems.count) problem\(problems.count == 1 ? "" : "s")):"
        return ([head] + problems.map { "  " + $0.description }).joined(separator: "\n")
    }
}
