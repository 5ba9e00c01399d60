/// The `route:` section of the configuration file (`tally route`, docs/SCALE.md).
public struct RouteSettings: Sendable, Equatable {
    /// Where routed records go, keyed by resource.
    public var topic = "tally.samples"
    /// Partitions of `topic` (created with this many; an existing topic must match, or
    /// keys would land on other partitions than before).
    public var partitions: Int32 = 6
    /// The consumer group every router of one deployment joins.
    public var group = "tally-route"
    /// This router's stable name within the group: its transactional id is
    /// `GROUP-INSTANCE`, so a restarted instance fences its predecessor and aborts the
    /// transaction it left open. Two running routers must not share one.
    public var instance = "1"
    /// Records per transaction at most.
    public var batchRecords = 5_000
    /// How long the broker lets a transaction stay open before aborting it: the longest
    /// a crashed router (not restarted under its name) can hold up `read_committed`
    /// readers of `topic` and the partitions it owned.
    public var transactionTimeoutMs = 60_000

    public init() {}

    /// The producer's `transactional.id`.
    public var transactionalID: String { "\(group)-\(instance)" }
}

extension ServiceConfig {
    static let routeKeys: Set<String> = ["topic", "partitions", "group", "instance", "batch_records", "transaction_timeout_ms"]

    static func readRoute(_ section: ConfigSection) throws -> RouteSettings {
        var route = RouteSettings()
        route.topic = try section["topic"]?.nonEmptyString() ?? route.topic
        route.partitions = Int32(try section["partitions"]?.integer(in: 1...10_000) ?? Int(route.partitions))
        route.group = try section["group"]?.nonEmptyString() ?? route.group
        route.instance = try section["instance"]?.nonEmptyString() ?? route.instance
        route.batchRecords = try section["batch_records"]?.integer(in: 1...1_000_000) ?? route.batchRecords
        route.transactionTimeoutMs = try section["transaction_timeout_ms"]?.integer(in: 1_000...900_000) ?? route.transactionTimeoutMs
        return route
    }

    /// The inputs a router reads: every configured input except its own output topic.
    public var routeInputs: [Input] { inputs.filter { $0.topic != route.topic } }
}
