/// Why a record (or one sample in it) is dead-lettered. The raw values are the
/// machine-readable reasons written to `tally.deadletter` and used as metric labels.
///
/// The decoders produce the first ten; the engine decides the others.
public enum DeadLetterReason: String, Sendable, CaseIterable, Codable {
    /// The bytes are not JSON (truncated, garbage, empty), or an embedded JSON text
    /// (Ceilometer's `oslo.message`) is not.
    case malformedJSON = "malformed-json"
    /// The JSON is valid but the wrapper is wrong: no `oslo.message`, `oslo.message` not a
    /// string, `payload` not a list, a CloudEvent without `id`/`source`/`data`, …
    case badEnvelope = "bad-envelope"
    /// A sample lacks a required field or has one of the wrong type.
    case schemaViolation = "schema-violation"
    /// A sample's timestamp is not a valid ISO 8601 instant.
    case badTimestamp = "bad-timestamp"
    case negativeVolume = "negative-volume"
    /// `NaN`, `Infinity` or `-Infinity` (Python writes them; they are not JSON).
    case nonFiniteVolume = "non-finite-volume"
    /// `counter_type`/`type` is not gauge, delta or cumulative.
    case unsupportedCounterType = "unsupported-counter-type"
    /// A Ceilometer notification whose `payload` list is empty.
    case emptyPayload = "empty-payload"
    /// A Ceilometer sample whose `message_signature` is missing or does not match the
    /// input's telemetry secret (only when a secret is configured).
    case badSignature = "bad-signature"
    /// A Ceilometer notification whose `priority` is not one the input accepts
    /// (`SAMPLE`, what Ceilometer's sample publisher sends, unless configured).
    case unexpectedPriority = "unexpected-priority"
    /// Decided by the engine: the metric is not configured.
    case unknownMetric = "unknown-metric"
    /// Decided by the engine: the sample's window is past retention.
    case tooLate = "too-late"
    /// Decided by the engine: the field the metric is rated per (`project_id` or
    /// `user_id`) is missing, null, empty or only white space: billed to no one.
    case noScope = "no-scope"
    /// Decided by the engine: the timestamp is too far ahead of the wall clock.
    case futureTimestamp = "future-timestamp"
    /// Decided by the engine: every sample of the record was already folded.
    case duplicateRecord = "duplicate-record"
    /// Decided by the engine: a sample with the id of one already folded, but other
    /// content (metric, resource, project, user, timestamp, type or volume).
    case conflictingDuplicate = "conflicting-duplicate"
}

/// A whole record could not be decoded; no sample of it was emitted.
public struct RecordDecodeError: Error, Sendable, CustomStringConvertible {
    public var reason: DeadLetterReason
    /// A human explanation naming the field or the byte offset.
    public var detail: String

    public init(reason: DeadLetterReason, detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason.rawValue): \(detail)" }

    static func malformed(_ error: JSONSyntaxError, in what: String) -> RecordDecodeError {
        RecordDecodeError(reason: .malformedJSON, detail: "\(what): \(error)")
    }

    static func envelope(_ detail: String) -> RecordDecodeError {
        RecordDecodeError(reason: .badEnvelope, detail: detail)
    }
}

/// One sample of a record was refused; the record's other samples are still emitted.
public struct SampleRejection: Sendable, CustomStringConvertible {
    public var reason: DeadLetterReason
    /// The sample's position in the record (its index in Ceilometer's `payload`; 0 for
    /// single-sample formats).
    public var sampleIndex: Int
    /// A human explanation naming the sample and the field.
    public var detail: String

    public init(reason: DeadLetterReason, sampleIndex: Int, detail: String) {
        self.reason = reason
        self.sampleIndex = sampleIndex
        self.detail = detail
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}

/// How many samples a record gave.
public struct RecordDecodeCounts: Sendable, Equatable {
    public var emitted: Int
    public var rejected: Int
    public init(emitted: Int, rejected: Int) {
        self.emitted = emitted
        self.rejected = rejected
    }
}
