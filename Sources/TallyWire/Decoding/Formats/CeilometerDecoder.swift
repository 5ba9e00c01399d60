import TallyCore

/// Decodes the records Ceilometer's Kafka publisher writes to `metering.sample`:
/// `{"oslo.version": "2.0", "oslo.message": "<notification as a JSON string>"}`,
/// where the notification's `payload` is a list of samples.
///
/// Each record is read completely before anything is emitted: a record that is
/// malformed, has a bad envelope or an empty payload throws `RecordDecodeError` and
/// emits nothing; otherwise every good sample goes to `emit` and every bad one to
/// `reject` (with its index in `payload`). A notification sent without the oslo
/// envelope (a plain object with `payload`) is accepted too.
///
/// One decoder per partition worker: it reuses its buffers and is not thread-safe.
public final class CeilometerDecoder {
    let state: DecoderState
    /// Holds the unescaped `oslo.message` text while its samples are read.
    private let messageScratch = ScratchBuffer(capacity: 64 * 1024)

    /// Whether `oslo.message` is parsed in place when possible (see `readMessageInPlace`).
    /// Tests turn it off to check that both paths decode the same.
    var readsMessageInPlace = true

    /// Whether metadata objects seen before are taken from the decoder's cache
    /// (`MetadataSpanCache`). Tests turn it off to check that both decode the same.
    var cachesMetadata: Bool {
        get { state.cachesMetadata }
        set { state.cachesMetadata = newValue }
    }

    /// Whether sample objects follow the shape of the one before (`MemberShape`). Tests turn
    /// it off to check that both decode the same.
    var predictsShapes: Bool {
        get { state.predictsShapes }
        set { state.predictsShapes = newValue }
    }

    private static let envelopeKeys = ByteKeyTable(["oslo.message", "oslo.version", "payload"])
    private static let notificationKeys = ByteKeyTable(["payload", "event_type", "priority"])

    /// - Parameters:
    ///   - symbols: where strings are interned; the engine reads symbols back from it.
    ///   - plan: the metadata keys to extract into `DecodedSample.metadata`.
    public convenience init(symbols: SymbolTable, plan: MetadataPlan = .empty, options: DecoderOptions = DecoderOptions()) {
        self.init(state: DecoderState(symbols: symbols, plan: plan, options: options))
    }

    init(state: DecoderState) { self.state = state }

    /// Decodes one record value. `emit` receives each good sample (its `metadata` is
    /// valid only during the call), `reject` each refused sample; good samples come
    /// first, in payload order.
    @discardableResult
    public func decode(_ record: UnsafeRawBufferPointer, emit: (DecodedSample) -> Void,
                       reject: (SampleRejection) -> Void) throws(RecordDecodeError) -> RecordDecodeCounts {
        try state.decodeRecord(emit: emit, reject: reject) { () throws(RecordDecodeError) in try decodeRecord(record) }
    }

    private func decodeRecord(_ record: UnsafeRawBufferPointer) throws(RecordDecodeError) {
        var scanner = JSONScanner(record, keys: state.duplicateKeys)
        try requireObject(&scanner, what: "the record")
        var message: UnsafeRawBufferPointer?
        var messageDecoded = false
        var messageKind: JSONValueKind?
        var version: JSONStringSpan?
        var hasPayload = false
        do throws(JSONSyntaxError) {
            try scanner.beginObject()
            var first = true
            while let key = try scanner.nextMember(&first) {
                switch Self.envelopeKeys.index.lookup(state.key(key, in: scanner)) {
                case 0:  // a second oslo.message is a duplicate key, refused by the scanner
                    messageKind = try scanner.peekKind()
                    if messageKind != .string {
                        try scanner.skipValue()
                    } else if readsMessageInPlace && readMessageInPlace(&scanner) {
                        messageDecoded = true
                    } else {
                        message = try scanner.readStringUnescaping(into: messageScratch)
                    }
                case 1:
                    if try scanner.peekKind() == .string { version = try scanner.readString() } else { try scanner.skipValue() }
                case 2:
                    hasPayload = true
                    try scanner.skipValue()
                default:
                    try scanner.skipValue()
                }
            }
            try scanner.expectEnd()
        } catch {
            throw .malformed(error, in: "record")
        }

        if let version, !bytesEqual(scanner.bytes(version.range), "2.0") {
            throw .envelope("oslo.version is '\(String(decoding: scanner.bytes(version.range), as: UTF8.self))', not '2.0'")
        }
        guard let messageKind else {
            guard hasPayload else { throw .envelope("record has neither oslo.message nor payload") }
            return try decodeNotification(record, what: "record")
        }
        if messageDecoded { return }
        guard let message else { throw .envelope("oslo.message is \(messageKind.name), not a JSON string") }
        try decodeNotification(message, what: "oslo.message")
    }

    /// The fast path: reads the notification straight out of the `oslo.message` string,
    /// without unescaping it first (saving a pass over most of the record). Succeeds for
    /// what a JSON encoder writes, a good notification escaped with `\"` and `\\`.
    /// On anything else it undoes what it staged, leaves the scanner where it was and
    /// returns false, and the caller takes the unescape-then-parse path, which also
    /// produces the precise error.
    private func readMessageInPlace(_ scanner: inout JSONScanner) -> Bool {
        let start = scanner.position
        let depth = state.duplicateKeys.depth
        var inner = JSONScanner(scanner.bytes(0..<scanner.count), quoteIsEscaped: true, keys: state.duplicateKeys)
        inner.position = start + 1
        do throws(JSONSyntaxError) {
            guard try inner.peekKind(EscapedJSONText.self) == .object else { return false }
            let summary = try readNotification(&inner, EscapedJSONText.self)
            guard try inner.peek() == UInt8(ascii: "\""), (try? checkNotification(summary, in: inner, what: "")) != nil else {
                state.discard()
                state.duplicateKeys.unwind(to: depth)
                return false
            }
            scanner.position = inner.position + 1
            return true
        } catch {
            state.discard()
            state.duplicateKeys.unwind(to: depth)
            return false
        }
    }

    /// Decodes a notification given as JSON text: the unescaped `oslo.message`, or the
    /// record itself when it came without the envelope.
    private func decodeNotification(_ text: UnsafeRawBufferPointer, what: String) throws(RecordDecodeError) {
        var scanner = JSONScanner(text, keys: state.duplicateKeys)
        try requireObject(&scanner, what: what)
        let summary: NotificationSummary
        do throws(JSONSyntaxError) {
            summary = try readNotification(&scanner, RawJSONText.self)
            try scanner.expectEnd()
        } catch {
            throw .malformed(error, in: what)
        }
        try checkNotification(summary, in: scanner, what: what)
    }

    /// What `readNotification` saw, to be checked once the object is read.
    private struct NotificationSummary {
        var payloadCount: Int?
        var payloadKind = JSONValueKind.array
        var eventType: JSONStringSpan?
        var priority: JSONStringSpan?
        var priorityKind: JSONValueKind?
    }

    /// Reads the notification object at the scanner, staging the samples of `payload`.
    /// `Q` is the scanner's quoting: escaped when read in place, raw otherwise.
    private func readNotification<Q: JSONQuoting>(_ scanner: inout JSONScanner,
                                                  _: Q.Type) throws(JSONSyntaxError) -> NotificationSummary {
        var summary = NotificationSummary()
        try scanner.beginObject(Q.self)
        var first = true
        // Notifications from one publisher write their keys in one order, as samples do:
        // followed like a sample's (`MemberShape`), the key's index in `notificationKeys`
        // standing for the schema field.
        var shape = ShapeFollower(state.memberShapes.shape(MemberShapes.notificationKind, Q.self),
                                  enabled: state.predictsShapes)
        while true {
            let keyIndex: Int
            var followed = false
            if let member = shape.follow(&scanner, Q.self) {
                first = false
                followed = true
                keyIndex = Int(member.field)
            } else {
                try shape.leave(scanner)
                let entry = scanner.position
                guard let key = try scanner.nextMember(&first, Q.self) else { break }
                keyIndex = Self.notificationKeys.index.lookup(state.key(key, in: scanner))
                shape.learn(from: entry, key: key, field: keyIndex, node: -1, in: scanner)
            }
            switch keyIndex {
            case 0:
                summary.payloadKind = try scanner.peekKind(Q.self)
                if summary.payloadKind == .array {
                    summary.payloadCount = try readPayload(&scanner, Q.self)
                } else {
                    try scanner.skipValue(Q.self)
                }
            case 1:
                if try scanner.peekKind(Q.self) == .string {
                    summary.eventType = try scanner.readString(at: Q.self)
                } else {
                    try scanner.skipValue(Q.self)
                }
            case 2:
                summary.priorityKind = try scanner.peekKind(Q.self)
                if summary.priorityKind == .string {
                    summary.priority = try scanner.readString(at: Q.self)
                } else {
                    try scanner.skipValue(Q.self)
                }
            default:
                if followed { try shape.skipFollowedValue(&scanner, Q.self) } else { try scanner.skipValue(Q.self) }
            }
        }
        return summary
    }

    private func checkNotification(_ summary: NotificationSummary, in scanner: JSONScanner,
                                   what: String) throws(RecordDecodeError) {
        if let eventType = summary.eventType {
            let name = state.text(eventType, in: scanner)
            guard bytesEqual(name, "metering") else {
                throw .envelope("event_type is '\(String(decoding: name, as: UTF8.self))', not 'metering'")
            }
        }
        try checkPriority(summary, in: scanner)
        guard summary.payloadKind == .array else { throw .envelope("payload is \(summary.payloadKind.name), not a list") }
        guard let payloadCount = summary.payloadCount else { throw .envelope("\(what) has no payload") }
        guard payloadCount > 0 else { throw RecordDecodeError(reason: .emptyPayload, detail: "payload is an empty list") }
    }

    /// A notification's `priority`, when it has one, must be one the input accepts:
    /// oslo.messaging's `Notifier.sample` sends `SAMPLE`; `INFO`, `ERROR`, … are other
    /// notifications that happen to be on the topic (or forged ones), not usage.
    private func checkPriority(_ summary: NotificationSummary, in scanner: JSONScanner) throws(RecordDecodeError) {
        guard !state.acceptedPriorities.isEmpty, let kind = summary.priorityKind else { return }
        var accepted: String {
            state.acceptedPriorities.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ", ")
        }
        guard let span = summary.priority else {
            throw RecordDecodeError(reason: .unexpectedPriority, detail: "priority is \(kind.name), not a string (accepted: \(accepted))")
        }
        let name = state.text(span, in: scanner)
        for priority in state.acceptedPriorities where priority.count == name.count
            && (name.count == 0 || bytesEqual(name.baseAddress!, priority.withUnsafeBytes { $0.baseAddress! }, name.count)) {
            return
        }
        throw RecordDecodeError(reason: .unexpectedPriority,
                                detail: "priority is '\(String(decoding: name.prefix(64), as: UTF8.self))', not \(accepted)")
    }

    /// Stages each sample of the payload list at the scanner; returns how many there were.
    private func readPayload<Q: JSONQuoting>(_ scanner: inout JSONScanner, _: Q.Type) throws(JSONSyntaxError) -> Int {
        try scanner.beginArray()
        var first = true
        var index = 0
        let schema = SampleSchema.ceilometer  // a lazily initialised static: checked once, not per sample
        while try scanner.nextElement(&first, Q.self) {
            let slots = state.beginSample()
            let start = scanner.position
            var draft = try state.readSample(&scanner, Q.self, schema: schema, index: index, slots: slots)
            if let check = state.signatureCheck, scanner.bytes(start..<(start + 1)).first == UInt8(ascii: "{") {
                // Checked before anything else the sample says: unsigned content is not evidence.
                switch check.verify(sampleAt: start, in: scanner, state: state) {
                case .good: break
                case .missing: draft.override(.badSignature, "payload[\(index)] has no message_signature")
                case .notAString: draft.override(.badSignature, "payload[\(index)].message_signature is not a string")
                case .mismatch:
                    draft.override(.badSignature, "payload[\(index)].message_signature does not match the sample "
                        + "(HMAC-SHA256 with the input's telemetry secret)")
                }
            }
            if let reason = draft.problem {
                state.stage(SampleRejection(reason: reason, sampleIndex: index, detail: draft.problemDetail))
            } else {
                state.stage(draft.sample())
            }
            index += 1
        }
        return index
    }

    /// Throws unless the text starts with an object: malformed-json when the text is not
    /// JSON at all, bad-envelope when it is JSON of another kind.
    private func requireObject(_ scanner: inout JSONScanner, what: String) throws(RecordDecodeError) {
        guard !scanner.isAtEnd else { throw RecordDecodeError(reason: .malformedJSON, detail: "\(what) is empty") }
        try requireTopLevelObject(&scanner, what: what)
    }
}

/// Shared by the decoders: the top-level value must be an object. Leaves the scanner
/// where it was when it is one.
func requireTopLevelObject(_ scanner: inout JSONScanner, what: String) throws(RecordDecodeError) {
    let start = scanner.position
    let kind: JSONValueKind
    do throws(JSONSyntaxError) {
        kind = try scanner.peekKind()
        if kind == .object {
            scanner.position = start
            return
        }
        try scanner.skipValue()
        try scanner.expectEnd()
    } catch {
        throw .malformed(error, in: what)
    }
    throw .envelope("\(what) is \(kind.name), not a JSON object")
}
