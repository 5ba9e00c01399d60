/// The `rater:` section of the configuration file: `tally run` as one member of a
/// consumer group, each input partition a task with its own state (docs/SCALE.md).
public struct RaterGroupSettings: Sendable, Equatable {
    /// Group mode on (`tally run --group` turns it on too).
    public var enabled = false
    /// The consumer group every rater of one deployment joins.
    public var groupID = "tally-rater"
    /// This rater's stable name in the group (`group.instance.id`): a restart under the
    /// same name takes its predecessor's partitions at once. Two running raters must not share one.
    public var instance = "1"
    /// The compacted changelog of every task's state: one partition per input partition.
    public var stateTopic = "tally.state"
    /// How long the broker lets a task's transaction stay open before aborting it.
    public var transactionTimeoutMs = 60_000
    /// librdkafka's `max.poll.interval.ms` for the group: bounded so that a JoinGroup the
    /// broker leaves unanswered is retried (noida-db 0.2.3, docs/SCALE.md).
    public var maxPollIntervalMs = 20_000

    public init() {}

    /// The `transactional.id` of the task of `topic`'s partition `partition`: the same
    /// whichever rater owns it, so a new owner fences the old one.
    public func transactionalID(topic: String, partition: Int32) -> String { "\(groupID)-\(topic)-\(partition)" }
}

extension ServiceConfig {
    static let raterKeys: Set<String> = ["group", "group_id", "instance", "state_topic", "transaction_timeout_ms",
                                         "max_poll_interval_ms"]

    static func readRaterGroup(_ section: ConfigSection) throws -> RaterGroupSettings {
        var group = RaterGroupSettings()
        group.enabled = try section["group"]?.bool() ?? false
        group.groupID = try section["group_id"]?.nonEmptyString() ?? group.groupID
        group.instance = try section["instance"]?.nonEmptyString() ?? group.instance
        group.stateTopic = try section["state_topic"]?.nonEmptyString() ?? group.stateTopic
        group.transactionTimeoutMs = try section["transaction_timeout_ms"]?.integer(in: 1_000...900_000) ?? group.transactionTimeoutMs
        group.maxPollIntervalMs = try section["max_poll_interval_ms"]?.integer(in: 1_000...3_600_000) ?? group.maxPollIntervalMs
        return group
    }
}
