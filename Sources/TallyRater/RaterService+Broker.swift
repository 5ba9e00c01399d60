import TallyKafka

/// A Kafka failure while the rater sets up, with the broker address it was using: the
/// first thing to check when the broker is down or `kafka.bootstrap` is wrong.
public struct BrokerSetupError: Error, CustomStringConvertible {
    public let address: String
    public let doing: String
    public let underlying: KafkaError

    public var description: String {
        "Kafka broker at \(address) (kafka.bootstrap / TALLY_BOOTSTRAP): \(doing) failed: \(underlying.name): "
            + "\(underlying.message)" + (underlying.isTimedOut || underlying.isTransport ? " (is the broker running and reachable?)" : "")
    }
}

extension RaterService {
    /// Runs one set-up step that talks to the broker, naming the broker if it fails.
    func atBroker<T>(_ doing: String, _ body: () throws -> T) throws -> T {
        try Self.atBroker(config.bootstrapServers, doing, body)
    }

    static func atBroker<T>(_ address: String, _ doing: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as KafkaError {
            throw BrokerSetupError(address: address, doing: doing, underlying: error)
        }
    }
}
