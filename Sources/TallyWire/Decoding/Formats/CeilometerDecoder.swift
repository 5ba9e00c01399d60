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

    private static let envelopeKeys = ByteKeyTable(["oslo.message", "oslo.version", "payload"])
    private static let notificationKeys = ByteKeyTable(["payload", "event_type"])

    /// - Parameters:
    ///   - symbols: where strings are interned; the engine reads symbols back from it.
    ///   - plan: the metadata keys to extract into `DecodedSample.metadata`.
    public convenience init(symbols: SymbolTable, plan: MetadataPlan = .empty) {
        self.init(state: DecoderState(symbols: symbols, plan: plan))
    }

    init(state: DecoderState) { self.state = state }

    /// Decodes one record value. `emit` receives each good sample (its `metadata` is
    /// valid only during the call), `reject` each refused sample; good samples come
    /// first, in payload order.
    @discardableResult
    public func decode(_ record: UnsafeRawBufferPointer, emit: (DecodedSample) -> Void,
                       reject: (SampleRejection) -> Void) throws(RecordDecodeError) -> RecordDecodeCounts {
        do throws(RecordDecodeError) {
            try decodeRecord(record)
        } catch {
            state.discard()
            throw error
        }
        return state.flush(emit: emit, reject: reject)
    }

    private func decodeRecord(_ record: UnsafeRawBufferPointer) throws(RecordDecodeError) {
        var scanner = JSONScanner(record)
        try requireObject(&scanner, what: "the record")
        var message: UnsafeRawBufferPointer?
        var messageKind: JSONValueKind?
        var version: JSONStringSpan?
        var hasPayload = false
        do throws(JSONSyntaxError) {
            try scanner.beginObject()
            var first = true
            while let key = try scanner.nextMember(&first) {
                switch Self.envelopeKeys.index.lookup(state.key(key, in: scanner)) {
                case 0:
                    messageKind = try scanner.peekKind()
                    if messageKind == .string {
                        message = try scanner.readStringUnescaping(into: messageScratch)
                    } else {
                        try scanner.skipValue()
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

        if let version, !scanner.bytes(version.range).elementsEqual("2.0".utf8) {
            throw .envelope("oslo.version is '\(String(decoding: scanner.bytes(version.range), as: UTF8.self))', not '2.0'")
        }
        guard let messageKind else {
            guard hasPayload else { throw .envelope("record has neither oslo.message nor payload") }
            return try decodeNotification(record, what: "record")
        }
        guard let message else { throw .envelope("oslo.message is \(messageKind.name), not a JSON string") }
        try decodeNotification(message, what: "oslo.message")
    }

    /// Reads the notification object: checks `event_type`, then stages the samples
    /// of `payload`.
    private func decodeNotification(_ text: UnsafeRawBufferPointer, what: String) throws(RecordDecodeError) {
        var scanner = JSONScanner(text)
        try requireObject(&scanner, what: what)
        var payloadCount: Int?
        var payloadKind = JSONValueKind.array
        var eventType: JSONStringSpan?
        do throws(JSONSyntaxError) {
            try scanner.beginObject()
            var first = true
            while let key = try scanner.nextMember(&first) {
                switch Self.notificationKeys.index.lookup(state.key(key, in: scanner)) {
                case 0:
                    payloadKind = try scanner.peekKind()
                    if payloadKind == .array { payloadCount = try readPayload(&scanner) } else { try scanner.skipValue() }
                case 1:
                    if try scanner.peekKind() == .string { eventType = try scanner.readString() } else { try scanner.skipValue() }
                default:
                    try scanner.skipValue()
                }
            }
            try scanner.expectEnd()
        } catch {
            throw .malformed(error, in: what)
        }
        if let eventType {
            let name = state.text(eventType, in: scanner)
            guard name.elementsEqual("metering".utf8) else {
                throw .envelope("event_type is '\(String(decoding: name, as: UTF8.self))', not 'metering'")
            }
        }
        guard payloadKind == .array else { throw .envelope("payload is \(payloadKind.name), not a list") }
        guard let payloadCount else { throw .envelope("\(what) has no payload") }
        guard payloadCount > 0 else { throw RecordDecodeError(reason: .emptyPayload, detail: "payload is an empty list") }
    }

    /// Stages each sample of the payload list at the scanner; returns how many there were.
    private func readPayload(_ scanner: inout JSONScanner) throws(JSONSyntaxError) -> Int {
        try scanner.beginArray()
        var first = true
        var index = 0
        while try scanner.nextElement(&first) {
            let slots = state.beginSample()
            let draft = try state.readSample(&scanner, schema: .ceilometer, index: index, slots: slots)
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
