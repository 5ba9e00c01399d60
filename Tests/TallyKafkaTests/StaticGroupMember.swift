import TallyKafka
import TallyTestSupport

extension BrokerProcess {
    /// A static member (`group.instance.id` = `name`) of `group` with eager `range`
    /// assignment and short group timeouts, subscribed to `topic`: how `tally route` and the
    /// group raters join (cooperative rebalances of static members are unreliable on
    /// noida-db 0.2.3: docs/SCALE.md). `extra` adds or overrides client settings.
    func staticMember(_ name: String, of group: String, subscribedTo topic: String,
                      extra: [String: String] = [:]) throws -> KafkaGroupConsumer {
        var config = clientConfig
        config["partition.assignment.strategy"] = "range"
        config["group.instance.id"] = name
        config["session.timeout.ms"] = "6000"
        config["heartbeat.interval.ms"] = "1000"
        for (key, value) in extra { config[key] = value }
        let consumer = try KafkaGroupConsumer(config: config, groupID: group)
        try consumer.subscribe([topic])
        return consumer
    }
}
