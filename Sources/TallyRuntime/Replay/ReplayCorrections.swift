import TallyCore
import TallyKafka

/// Builds and publishes the correction revisions of an applied replay.
public enum ReplayCorrections {
    /// One correction revision ready to send.
    public struct Correction: Sendable {
        public var frameId: String
        public var revision: Int
        public var scope: String
        public var partition: Int32
        public var value: [UInt8]
    }

    /// For each window whose price or quantity changed and that was emitted before, the
    /// replayed frame as the next revision after the latest emitted one: `previous_price`
    /// is the emitted latest price, `price_delta` the change to the bill, and `correction`
    /// names the replay. Frames are chained per output partition after the last record
    /// `emitted` holds on it, in the diff's order.
    public static func build(diff: ReplayDiff, emitted: EmittedFrames, replayId: String, author: String,
                             reason: String) throws -> [Correction] {
        var head = emitted.lastHash
        var out: [Correction] = []
        for change in diff.changed {
            guard let old = change.old, let new = change.new, let oldPrice = old.price, let newPrice = new.price,
                  let partition = new.outputPartition else { continue }
            var body = new.body
            body["revision"] = .integer(Int64(old.revision + 1))
            body["previous_price"] = .decimal(oldPrice)
            body["price_delta"] = .decimal(newPrice - oldPrice)
            body["correction"] = Frame.Correction(replayId: replayId, author: author, reason: reason).json
            let sealed = FrameRecord.seal(body, previousHash: head[partition] ?? "")
            head[partition] = sealed.contentHash
            out.append(Correction(frameId: change.frameId, revision: old.revision + 1, scope: change.scope,
                                  partition: partition, value: sealed.bytes))
        }
        return out
    }

    /// Sends the corrections to the frames topic, each to its output partition keyed by
    /// its scope id (as the rater does), in order, and waits for every acknowledgement.
    public static func publish(_ corrections: [Correction], config: ServiceConfig) throws {
        guard !corrections.isEmpty else { return }
        var producerConfig = KafkaConfig(config.kafkaProperties)
        producerConfig["bootstrap.servers"] = config.bootstrapServers
        let producer = try KafkaProducer(config: producerConfig, idempotent: true)
        let topic = try producer.topic(config.framesTopic)
        var failure: KafkaError?
        let onDelivery: (KafkaDeliveryReport) -> Void = { if let e = $0.error, failure == nil { failure = e } }
        for (i, c) in corrections.enumerated() {
            while true {
                do {
                    try producer.produce(to: topic, partition: c.partition, key: Array(c.scope.utf8), value: c.value, token: UInt64(i))
                    break
                } catch let error as KafkaError where error.isQueueFull {
                    producer.poll(timeoutMs: 10, onDelivery)
                }
            }
        }
        try producer.flush(timeoutMs: 60_000, onDelivery)
        if let failure { throw failure }
    }
}
