import TallyCore
import TallyWire

extension StreamRater {
    public static let deadLetterSchema = "tally.deadletter/1"

    /// Bounds that keep every dead letter far below a broker's message limit (1 MiB by
    /// default; base64 inflates by 4/3): a dead letter that cannot be produced would stop
    /// the rater at the same record after every restart.
    enum DeadLetterLimits {
        /// Bytes of the original value (and key) kept; the rest is named by size and digest.
        static let keptBytes = 65_536
        /// Characters of one detail text, and rejections listed individually.
        static let detailCharacters = 1_000
        static let listedRejections = 50
    }

    /// Queues a dead letter for `record`: its original bytes (base64; only the first
    /// `keptBytes` of a larger record, with `value_size` and `value_sha256` so the whole
    /// can be fetched from `source` and checked), where it came from, and why — the whole
    /// record's reason, or each rejected sample's.
    func deadLetter(_ record: InputRecord, error: RecordDecodeError?, rejections: [SampleRejection]) {
        let reason = error?.reason ?? rejections[0].reason
        for r in (error.map { [$0.reason] } ?? rejections.map(\.reason)) {
            counters.deadLettersByReason[r.rawValue, default: 0] += 1
        }
        let detail = error?.detail ?? rejections.prefix(DeadLetterLimits.listedRejections)
            .map { $0.reason == reason ? $0.detail : $0.description }.joined(separator: "; ")
        let listed = rejections.prefix(DeadLetterLimits.listedRejections)
        var members: [String: CanonicalJSON] = [
            "schema": .string(StreamRater.deadLetterSchema),
            "reason": .string(reason.rawValue),
            "detail": .string(Self.bounded(detail)),
            "rejections": .array(listed.map {
                .object(["sample_index": .integer(Int64($0.sampleIndex)), "reason": .string($0.reason.rawValue),
                         "detail": .string(Self.bounded($0.detail))])
            }),
            "source": .object(["topic": .string(record.topic), "partition": .integer(Int64(record.partition)),
                               "offset": .integer(record.offset)]),
            "value_base64": .string(Base64.encode(record.value.prefix(DeadLetterLimits.keptBytes))),
            "value_size": .integer(Int64(record.value.count)),
            "value_truncated": .bool(record.value.count > DeadLetterLimits.keptBytes),
            "value_sha256": .string(Self.digest(record.value)),
            "key_base64": record.key.map { .string(Base64.encode($0.prefix(DeadLetterLimits.keptBytes))) } ?? .null,
            "engine_version": .string(settings.engineVersion),
        ]
        if rejections.count > listed.count { members["rejections_omitted"] = .integer(Int64(rejections.count - listed.count)) }
        if let key = record.key, key.count > DeadLetterLimits.keptBytes { members["key_size"] = .integer(Int64(key.count)) }
        let body: CanonicalJSON = .object(members)
        let partition = record.partition % settings.deadLetterPartitions
        outbox.enqueue(OutboxEntry(kind: .deadLetter, topic: settings.deadLetterTopic, partition: partition,
                                   key: record.key.map { Array($0.prefix(DeadLetterLimits.keptBytes)) } ?? [],
                                   value: Array(body.text.utf8)))
    }

    static func digest(_ bytes: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        hasher.update(buffer: bytes)
        return Hex.encode(hasher.finalize())
    }

    /// A detail text cut to `detailCharacters` (decoders quote input in their details).
    static func bounded(_ text: String) -> String {
        text.count <= DeadLetterLimits.detailCharacters ? text
            : String(text.prefix(DeadLetterLimits.detailCharacters)) + "… (\(text.utf8.count) bytes)"
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
}
