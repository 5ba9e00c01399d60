import TallyCore

/// The top-level sample fields a `groupby` or `scope` entry can name, so the engine can
/// resolve `groupby: [id, project_id, user_id]` from `DecodedSample` directly. Names not
/// listed here are metadata keys (put them in the `MetadataPlan`; `@name` reaches other
/// top-level fields such as `project_name`).
public enum SampleField: String, Sendable, CaseIterable {
    /// CloudKitty calls the resource id `id`.
    case id
    case resourceID = "resource_id"
    case projectID = "project_id"
    case userID = "user_id"
    case metric
    case unit

    /// The field a configuration name refers to (`counter_name` and `counter_unit`
    /// are Ceilometer's names for metric and unit).
    public init?(configName: String) {
        switch configName {
        case "counter_name": self = .metric
        case "counter_unit": self = .unit
        default: self.init(rawValue: configName)
        }
    }
}

extension DecodedSample {
    /// The symbol of a top-level field (`Symbol.none` when it was null).
    @inlinable
    public func symbol(for field: SampleField) -> Symbol {
        switch field {
        case .id, .resourceID: resource
        case .projectID: project
        case .userID: user
        case .metric: metric
        case .unit: unit
        }
    }
}
