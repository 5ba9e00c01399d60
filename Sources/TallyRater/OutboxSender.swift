import TallyEngine
import TallyKafka

/// Sends outbox messages with an idempotent producer and reports each token once the
/// broker acknowledged it; the outbox keeps every message until then.
///
/// A fatal producer error (librdkafka raises one when the idempotent producer can no
/// longer guarantee order, e.g. `OUT_OF_ORDER_SEQUENCE_NUMBER` after a broker restart)
/// makes the producer unusable. librdkafka's documented recovery is to destroy it and
/// start again from durable state: a new producer resends every unacknowledged message,
/// byte-identical and in token order (a message the old one delivered without telling us
/// arrives twice, with the same frame id; readers keep one copy).
final class OutboxSender {
    private let makeProducer: () throws -> KafkaProducer
    private var producer: KafkaProducer
    private var topicHandles: [String: KafkaTopicHandle] = [:]
    private(set) var unacknowledged: [UInt64: OutgoingMessage] = [:]
    private let onAcknowledged: (UInt64) -> Void
    private let log: (String) -> Void
    /// Producers replaced after a fatal error.
    private(set) var recoveries = 0
    /// Set when the producer reported a fatal error; acted on outside delivery-report
    /// callbacks, so no report of the abandoned producer is ever acted on twice.
    private var fatal: KafkaError?

    init(makeProducer: @escaping () throws -> KafkaProducer, log: @escaping (String) -> Void,
         onAcknowledged: @escaping (UInt64) -> Void) throws {
        self.makeProducer = makeProducer
        self.log = log
        self.onAcknowledged = onAcknowledged
        producer = try makeProducer()
    }

    /// The producer in use (e.g. for tests that inject a fatal error).
    var currentProducer: KafkaProducer { producer }

    func send(_ messages: [OutgoingMessage]) throws {
        for message in messages {
            unacknowledged[message.token] = message
            try produce(message)
        }
        try recoverIfFatal()
    }

    /// Serves delivery reports, waiting at most `timeoutMs` for one.
    func poll(timeoutMs: Int32) throws {
        _ = try producer.poll(timeoutMs: timeoutMs) { try handle($0) }
        try recoverIfFatal()
    }

    /// Waits up to `timeoutMs` for every outstanding message; true when all are acknowledged.
    func flush(timeoutMs: Int32) throws -> Bool {
        do {
            try producer.flush(timeoutMs: timeoutMs) { try handle($0) }
        } catch let error as KafkaError where error.isTimedOut {
            try recoverIfFatal()
            return unacknowledged.isEmpty
        }
        try recoverIfFatal()
        return unacknowledged.isEmpty
    }

    private func produce(_ message: OutgoingMessage) throws {
        while true {
            do {
                let handle = try topicHandles[message.topic] ?? {
                    let h = try producer.topic(message.topic)
                    topicHandles[message.topic] = h
                    return h
                }()
                try producer.produce(to: handle, partition: message.partition, key: message.key, value: message.value,
                                     token: message.token)
                return
            } catch let error as KafkaError where error.isQueueFull {
                _ = try producer.poll(timeoutMs: 10) { try self.handle($0) }
            } catch let error as KafkaError where error.isFatal || producer.fatalError() != nil {
                fatal = producer.fatalError() ?? error
                return  // stays unacknowledged: the recovery resends it
            }
        }
    }

    /// A delivery report: retire the message, or send it again after a failure (a
    /// failure caused by a fatal error replaces the producer instead).
    private func handle(_ report: KafkaDeliveryReport) throws {
        guard let message = unacknowledged[report.token] else { return }
        if report.error != nil {
            if let error = producer.fatalError() { fatal = error; return }  // resent by the recovery
            if fatal == nil { try produce(message) }
            return
        }
        unacknowledged[report.token] = nil
        onAcknowledged(report.token)
    }

    private func recoverIfFatal() throws {
        // A new producer that fails at once again is a persistent problem: say so.
        for _ in 0..<5 {
            guard let error = fatal ?? producer.fatalError() else { return }
            fatal = nil
            try recover(from: error)
        }
        if let error = fatal ?? producer.fatalError() { throw error }
    }

    private func recover(from error: KafkaError) throws {
        recoveries += 1
        log("tally: producer fatal error (\(error.name): \(error.message)); replacing the producer and resending "
            + "\(unacknowledged.count) unacknowledged message(s) from the outbox")
        producer.abandonOutstanding()
        topicHandles = [:]
        producer = try makeProducer()  // the old one is destroyed once nothing refers to it
        for token in unacknowledged.keys.sorted() {
            try produce(unacknowledged[token]!)
            if fatal != nil { return }
        }
    }
}

/// The rater had to stop before the broker acknowledged everything: nothing is lost
/// (the outbox in LMDB keeps the messages and the next start sends them), but the
/// operator must know, and the exit status says so.
public struct UnsentOutboxError: Error, CustomStringConvertible {
    public let unacknowledged: Int
    public let broker: String
    public let statePath: String
    public let waitedMs: Int

    public var description: String {
        "stopped with \(unacknowledged) frame(s)/dead letter(s) not acknowledged by the broker at \(broker) "
            + "within \(waitedMs) ms: they stay in the outbox (state \(statePath)) and are sent when tally run starts again"
    }
}
