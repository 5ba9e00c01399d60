import TallyCore
import TallyWire

extension StreamRater {
    public static let deadLetterSchema = "tally.deadletter/1"

    /// Queues a dead letter for `record`: its original bytes (base64), where it came
    /// from, and why — the whole record's reason, or each rejected sample's.
    func deadLetter(_ record: InputRecord, error: RecordDecodeError?, rejections: [SampleRejection]) {
        let reason = error?.reason ?? rejections[0].reason
        for r in (error.map { [$0.reason] } ?? rejections.map(\.reason)) {
            counters.deadLettersByReason[r.rawValue, default: 0] += 1
        }
        let body: CanonicalJSON = .object([
            "schema": .string(StreamRater.deadLetterSchema),
            "reason": .string(reason.rawValue),
            "detail": .string(error?.detail ?? rejections.map { $0.reason == reason ? $0.detail : $0.description }
                .joined(separator: "; ")),
            "rejections": .array(rejections.map {
                .object(["sample_index": .integer(Int64($0.sampleIndex)), "reason": .string($0.reason.rawValue),
                         "detail": .string($0.detail)])
            }),
            "source": .object(["topic": .string(record.topic), "partition": .integer(Int64(record.partition)),
                               "offset": .integer(record.offset)]),
            "value_base64": .string(Base64.encode(record.value)),
            "key_base64": record.key.map { .string(Base64.encode($0)) } ?? .null,
            "engine_version": .string(settings.engineVersion),
        ])
        let partition = record.partition % settings.deadLetterPartitions
        enqueue(OutboxEntry(kind: .deadLetter, topic: settings.deadLetterTopic, partition: partition,
                            key: record.key.map { Array($0) } ?? [], value: Array(body.text.utf8)))
    }

    /// Counts one sample of an unconfigured meter under its name. The name is made
    /// into a String once per meter, not per sample.
    func countUnknownMeter(_ metric: Symbol) {
        let name: String
        if let known = unknownMeterNames[metric] { name = known } else {
            name = symbols.string(metric)
            unknownMeterNames[metric] = name
        }
        counters.unknownMeters[name, default: 0] += 1
    }

    func enqueue(_ entry: OutboxEntry) {
        outboxSequence += 1
        newOutbox.append((outboxSequence, entry))
        unacknowledged += 1
    }
}
