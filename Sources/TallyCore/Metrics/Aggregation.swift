/// How a window folds the volumes of its samples into one quantity.
/// Exact definitions: docs/METRICS.md, "Aggregations".
public enum Aggregation: UInt8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// Σ volume.
    case sum
    /// Greatest volume.
    case max
    /// Smallest volume.
    case min
    /// Σ volume / number of samples.
    case avg
    /// Volume of the sample with the greatest timestamp (ties: greatest sample key).
    case last
    /// Number of samples.
    case count
    /// Number of distinct volumes (numeric equality).
    case uniqueCount
    /// Time-weighted average of a gauge over the whole window (step function).
    case timeWeightedAverage
    /// Increase of a cumulative counter over the window; a drop is a reset to 0.
    case increase

    /// The name used in the metrics file.
    public var configName: String {
        switch self {
        case .sum: return "sum"
        case .max: return "max"
        case .min: return "min"
        case .avg: return "avg"
        case .last: return "last"
        case .count: return "count"
        case .uniqueCount: return "unique_count"
        case .timeWeightedAverage: return "time_weighted_avg"
        case .increase: return "increase"
        }
    }

    public var description: String { configName }

    /// Reads a metrics-file name. Besides `configName`, accepts `mean` (CloudKitty's and
    /// Gnocchi's spelling of avg), `twa`, and Gnocchi's `rate:*` methods as `increase`.
    public init?(configName name: String) {
        switch name {
        case "sum": self = .sum
        case "max": self = .max
        case "min": self = .min
        case "avg", "mean": self = .avg
        case "last": self = .last
        case "count": self = .count
        case "unique_count", "count_distinct": self = .uniqueCount
        case "time_weighted_avg", "twa": self = .timeWeightedAverage
        case "increase": self = .increase
        default:
            if name.hasPrefix("rate:") { self = .increase } else { return nil }
        }
    }

    /// Names accepted in a metrics file, for error messages.
    public static var acceptedNames: [String] { allCases.map(\.configName) + ["mean", "twa", "rate:<method>"] }
}
