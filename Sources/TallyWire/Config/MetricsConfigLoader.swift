import Foundation
import TallyCore
import Yams

/// Loads a metrics file (docs/METRICS.md): CloudKitty's `metrics.yml` as it is, plus
/// Tally's per-metric extensions and top-level settings. Runs once at start-up.
public enum MetricsConfigLoader {
    /// Settings a metric inherits when it does not give them (overridable in `defaults:`).
    public static let defaultPeriod = "PT1H"
    public static let defaultGrace = TimeSpan.minutes(15)
    public static let defaultRetention = TimeSpan.days(7)
    public static let defaultIdleTimeout = TimeSpan.minutes(5)
    public static let defaultMaxFutureSkew = TimeSpan.minutes(10)

    static let topLevelKeys = ["metrics", "time_zone", "idle_timeout", "max_future_skew", "earliest_event_time", "defaults"]
    static let cloudKittyV1Keys: Set<String> = ["services", "services_objects", "metrics_units", "fetcher",
                                                "collector", "wait_periods", "name"]

    /// Reads and validates the file at `path`.
    /// - Throws: `MetricsConfigError` listing every problem, or the file-reading error.
    public static func load(contentsOf path: String) throws -> MetricsConfig {
        let text = try UserFile.text(path, what: "metrics file")
        do { return try load(yaml: text) } catch var error as MetricsConfigError {
            error.file = path
            throw error
        }
    }

    /// Parses and validates metrics YAML.
    /// - Throws: `MetricsConfigError` listing every problem found, with line numbers.
    public static func load(yaml: String) throws -> MetricsConfig {
        let reader = ConfigNodeReader()
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw MetricsConfigError(file: nil, problems: [yamlProblem(error)])
        }
        guard let root, let pairs = reader.mapping(root, field: "(file)") else {
            if root == nil { reader.report("metrics", at: nil, "the file is empty; it needs a 'metrics' mapping") }
            throw MetricsConfigError(file: nil, problems: reader.problems)
        }
        var settings = Settings()
        var metricsNode: Node?
        var defaultsNode: Node?
        for (key, keyNode, value) in pairs {
            switch key {
            case "metrics": metricsNode = value
            case "defaults": defaultsNode = value
            case "time_zone":
                guard let name = reader.text(value, field: key) else { continue }
                if let zone = ZoneRules(identifier: name) { settings.zone = zone }
                else { reader.report(key, at: value, "unknown IANA time zone '\(name)' (e.g. UTC, Europe/Paris)") }
            case "idle_timeout": settings.idleTimeout = reader.span(value, field: key) ?? settings.idleTimeout
            case "max_future_skew": settings.maxFutureSkew = reader.span(value, field: key) ?? settings.maxFutureSkew
            case "earliest_event_time":
                guard let text = reader.text(value, field: key) else { continue }
                do throws(TimestampProblem) { settings.earliest = try TimestampParser.parse(text) } catch {
                    reader.report(key, at: value, "'\(text)' is not an ISO 8601 instant (e.g. 2020-01-01T00:00:00Z): \(error)")
                }
            default:
                if cloudKittyV1Keys.contains(key) {
                    reader.report(key, at: keyNode, "this is CloudKitty's pre-v2 metrics format (before Rocky), "
                                  + "which Tally does not read; convert it to the 'metrics:' form")
                } else {
                    reader.report(key, at: keyNode, "unknown top-level key; expected one of \(topLevelKeys.joined(separator: ", "))")
                }
            }
        }
        let defaults = MetricDefaults.parse(defaultsNode, settings: settings, reader: reader)
        var metrics: [MetricDefinition] = []
        if let metricsNode, let entries = reader.mapping(metricsNode, field: "metrics") {
            if entries.isEmpty { reader.report("metrics", at: metricsNode, "no metric is defined") }
            for (name, _, body) in entries {
                reader.metric = name
                if let metric = MetricEntryParser(name: name, defaults: defaults, reader: reader).parse(body) {
                    metrics.append(metric)
                }
                reader.metric = nil
            }
        } else if metricsNode == nil {
            reader.report("metrics", at: root, "missing; the file must have a 'metrics' mapping")
        }
        guard reader.problems.isEmpty,
              let config = MetricsConfig(metrics: metrics, timeZone: settings.zone,
                                         idleTimeout: settings.idleTimeout, maxFutureSkew: settings.maxFutureSkew,
                                         earliestEventTime: settings.earliest)
        else { throw MetricsConfigError(file: nil, problems: reader.problems) }
        return config
    }

    /// A YAML syntax error as a problem, with its position when Yams gives one.
    static func yamlProblem(_ error: YamlError) -> MetricsConfigError.Problem {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            return .init(metric: nil, field: duplicates.joined(separator: ", "), line: context.mark.line,
                         column: context.mark.column, message: "duplicate key in the mapping that starts here")
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return .init(metric: nil, field: "(file)", line: mark.line, column: mark.column,
                         message: "not valid YAML: \(problem)")
        default:
            return .init(metric: nil, field: "(file)", line: nil, column: nil, message: "not valid YAML: \(error)")
        }
    }

    struct Settings {
        var zone = ZoneRules.utc
        var idleTimeout = MetricsConfigLoader.defaultIdleTimeout
        var maxFutureSkew = MetricsConfigLoader.defaultMaxFutureSkew
        var earliest: EventTime?
    }
}
