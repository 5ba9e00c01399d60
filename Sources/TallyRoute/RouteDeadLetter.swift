import TallyCore
import TallyEngine
import TallyKafka
import TallyWire

/// The dead letter of a record `tally route` could not key: the same document `tally run`
/// writes (`StreamRater.deadLetterSchema`, docs/INPUTS.md), with `"stage": "route"` added
/// so an operator can tell which stage refused it. Only the first `keptBytes` of a large
/// value are kept (with its size and digest), so a dead letter always fits the broker's limit.
enum RouteDeadLetter {
    static let keptBytes = 65_536
    static let detailCharacters = 1_000
    static let listedRejections = 50

    static func make(topic: String, record: KafkaRecord, error: RecordDecodeError?,
                     rejections: [SampleRejection]) -> (reason: DeadLetterReason, value: [UInt8]) {
        // A record with neither an error nor a rejection holds no sample at all.
        let reason = error?.reason ?? rejections.first?.reason ?? .emptyPayload
        let listed = rejections.prefix(listedRejections)
        let detail = error?.detail ?? (listed.isEmpty ? "the record holds no sample"
            : listed.map { $0.reason == reason ? $0.detail : $0.description }.joined(separator: "; "))
        let value = record.value
        var members: [String: CanonicalJSON] = [
            "schema": .string(StreamRater.deadLetterSchema),
            "stage": .string("route"),
            "reason": .string(reason.rawValue),
            "detail": .string(bounded(detail)),
            "rejections": .array(listed.map {
                .object(["sample_index": .integer(Int64($0.sampleIndex)), "reason": .string($0.reason.rawValue),
                         "detail": .string(bounded($0.detail))])
            }),
            "source": .object(["topic": .string(topic), "partition": .integer(Int64(record.partition)),
                               "offset": .integer(record.offset)]),
            "value_base64": .string(Base64.encode(value.prefix(keptBytes))),
            "value_size": .integer(Int64(value.count)),
            "value_truncated": .bool(value.count > keptBytes),
            "value_sha256": .string(digest(value)),
            "key_base64": record.key.map { .string(Base64.encode($0.prefix(keptBytes))) } ?? .null,
            "engine_version": .string(TallyVersion.current),
        ]
        if rejections.count > listed.count { members["rejections_omitted"] = .integer(Int64(rejections.count - listed.count)) }
        if let key = record.key, key.count > keptBytes { members["key_size"] = .integer(Int64(key.count)) }
        return (reason, Array(CanonicalJSON.object(members).text.utf8))
    }

    private static func digest(_ bytes: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        hasher.update(buffer: bytes)
        return Hex.encode(hasher.finalize())
    }

    private static func bounded(_ text: String) -> String {
        text.count <= detailCharacters ? text : String(text.prefix(detailCharacters)) + "… (\(text.utf8.count) bytes)"
    }
}
