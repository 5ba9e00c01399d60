/// Where the value of a groupby or metadata field comes from in a sample.
public enum FieldSource: Hashable, Sendable, CustomStringConvertible {
    /// The sample's `resource_id` (CloudKitty's `id`).
    case resourceId
    case projectId
    case userId
    /// A path into `resource_metadata`: `["flavor", "name"]` for `flavor.name`.
    case metadata([String])

    /// Reads a field spelling: `id`/`resource_id`, `project_id`, `user_id`, or a
    /// dotted metadata path. Nil for an empty path component (`a..b`, `.a`).
    public init?(path: String) {
        switch path {
        case "id", "resource_id": self = .resourceId
        case "project_id": self = .projectId
        case "user_id": self = .userId
        default:
            let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !parts.isEmpty, !parts.contains(where: \.isEmpty) else { return nil }
            self = .metadata(parts)
        }
    }

    public var description: String {
        switch self {
        case .resourceId: return "resource_id"
        case .projectId: return "project_id"
        case .userId: return "user_id"
        case .metadata(let parts): return parts.joined(separator: ".")
        }
    }
}

/// A named groupby or metadata field. `sources` are tried in order and the first one
/// present in the sample gives the value: Ceilometer puts the flavor in
/// `flavor.name` in polled samples and in `flavor_name` in notification samples.
public struct FieldSpec: Hashable, Sendable {
    /// The name the field has in the window's description (what hashmap fields match).
    public var name: String
    public var sources: [FieldSource]
    public init(name: String, sources: [FieldSource]) { self.name = name; self.sources = sources }
}
