import TallyCore

/// What summaries, reports and the dashboard read of a frame's latest revision. Two kinds
/// provide it: `IndexedFrame` (decoded from the frame's JSON) and `FrameSummary` (read from
/// the index's compact record, no JSON). The computations are written once over this
/// protocol, so a test can run both inputs through the same code and compare every number.
public protocol RatedFrameFields {
    var frameId: String { get }
    /// The frame id, for ordering and comparing without text.
    var frameIdKey: FrameIdKey { get }
    var revision: Int { get }
    var scope: String { get }
    var scopeKind: String { get }
    var metric: String { get }
    var service: String { get }
    var resource: String { get }
    /// The frame's top-level `user_id` ("" when absent).
    var user: String { get }
    var windowStart: EventTime { get }
    var windowEnd: EventTime { get }
    var quantity: ExactDecimal { get }
    var unit: String { get }
    var price: ExactDecimal { get }
    var currency: String { get }
    var status: String { get }
    /// `project_name` (or `scope_name`), a non-empty string of the groupby or else the metadata.
    var scopeName: String? { get }
    var groupby: [String: String] { get }
    var metadata: [String: String] { get }
    func groupbyValue(_ key: String) -> String?
    func metadataValue(_ key: String) -> String?
}

extension RatedFrameFields {
    /// The value of a CloudKitty groupby/filter key for this frame: `type` is the metric,
    /// `project_id`/`tenant_id` (and the scope's own kind) the scope, `id` the resource;
    /// anything else is looked up in the frame's groupby, then its metadata.
    public func value(of key: String) -> String? {
        switch key {
        case "type", "res_type", "metric": return metric
        case "project_id", "tenant_id", "scope_id", scopeKind: return scope
        case "id", "resource_id": return resource
        case "user_id": return groupbyValue("user_id") ?? metadataValue("user_id") ?? (user.isEmpty ? nil : user)
        case "service": return service
        case "unit": return unit
        case "currency": return currency
        default: return groupbyValue(key) ?? metadataValue(key)
        }
    }
}
