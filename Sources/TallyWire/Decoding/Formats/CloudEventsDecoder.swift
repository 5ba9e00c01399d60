import TallyCore

/// Decodes a CloudEvents 1.0 event in structured-mode JSON whose `data` is a native
/// sample object (`schemas/examples/cloudevent.json`).
///
/// Envelope rules: `specversion` must be "1.0"; `id`, `source` and `type` must be
/// non-empty strings; `datacontenttype`, if given, must be JSON (`application/json` or
/// a `+json` type); `data` must be present (`data_base64` is refused). Any failure is a
/// bad-envelope `RecordDecodeError`. The sample's identity is (`source`, `id`); its
/// timestamp is `data.timestamp`, else the event's `time`.
public final class CloudEventsDecoder {
    let state: DecoderState

    private static let attributes = ByteKeyTable(["specversion", "id", "source", "type", "time",
                                                  "datacontenttype", "data", "data_base64"])

    public convenience init(symbols: SymbolTable, plan: MetadataPlan = .empty) {
        self.init(state: DecoderState(symbols: symbols, plan: plan))
    }

    init(state: DecoderState) { self.state = state }

    /// Decodes one record value; see `CeilometerDecoder.decode` for the callbacks.
    @discardableResult
    public func decode(_ record: UnsafeRawBufferPointer, emit: (DecodedSample) -> Void,
                       reject: (SampleRejection) -> Void) throws(RecordDecodeError) -> RecordDecodeCounts {
        try state.decodeRecord(emit: emit, reject: reject) { () throws(RecordDecodeError) in try decodeEvent(record) }
    }

    private func decodeEvent(_ record: UnsafeRawBufferPointer) throws(RecordDecodeError) {
        var scanner = JSONScanner(record, keys: state.duplicateKeys)
        guard !scanner.isAtEnd else { throw RecordDecodeError(reason: .malformedJSON, detail: "the record is empty") }
        try requireTopLevelObject(&scanner, what: "the record")
        // Attribute spans by the index of their name in `attributes`; nil when absent or not a string.
        var strings = [JSONStringSpan?](repeating: nil, count: 6)
        var present = [Bool](repeating: false, count: 8)
        var draft: SampleDraft?
        do throws(JSONSyntaxError) {
            try scanner.beginObject()
            var first = true
            while let key = try scanner.nextMember(&first) {
                let attribute = Self.attributes.index.lookup(state.key(key, in: scanner))
                if attribute >= 0 { present[attribute] = true }
                switch attribute {
                case 0..<6:
                    if try scanner.peekKind() == .string { strings[attribute] = try scanner.readString() }
                    else { try scanner.skipValue() }
                case 6:
                    let slots = state.beginSample()
                    draft = try state.readSample(&scanner, RawJSONText.self, schema: .cloudEventData, index: 0, slots: slots)
                default:
                    try scanner.skipValue()
                }
            }
            try scanner.expectEnd()
        } catch {
            throw .malformed(error, in: "record")
        }

        func attribute(_ i: Int) -> UnsafeRawBufferPointer? { strings[i].map { state.key($0, in: scanner) } }
        guard attribute(0)?.elementsEqual("1.0".utf8) == true else {
            throw .envelope("specversion must be the string \"1.0\"")
        }
        for (i, name) in [(1, "id"), (2, "source"), (3, "type")] where (attribute(i)?.count ?? 0) == 0 {
            throw .envelope("CloudEvent attribute '\(name)' must be a non-empty string")
        }
        if present[5] {
            guard let type = attribute(5).map({ String(decoding: $0, as: UTF8.self) }), Self.isJSON(type) else {
                throw .envelope("datacontenttype must be application/json or a +json type")
            }
        }
        if present[7] { throw .envelope("data_base64 is not supported; send the sample as JSON in data") }
        guard var draft else { throw .envelope("CloudEvent has no data") }

        let id = Array(attribute(1)!)
        let source = attribute(2)!
        draft.key = id.withUnsafeBytes { SampleKey.cloudEvent(source: source, id: $0) }
        if !draft.has(.timestamp) {
            guard let time = strings[4] else {
                return stage(draft, orFail: "data has no timestamp and the event has no time")
            }
            let text = state.text(time, in: scanner)
            do throws(TimestampProblem) {
                draft.timestamp = try TimestampParser.parse(text)
            } catch {
                draft.fail(.badTimestamp, "time '\(String(decoding: text, as: UTF8.self))': \(error)")
            }
        }
        stage(draft, orFail: nil)
    }

    private func stage(_ draft: SampleDraft, orFail missing: String?) {
        var draft = draft
        if let missing { draft.fail(.schemaViolation, missing) }
        if let reason = draft.problem {
            state.stage(SampleRejection(reason: reason, sampleIndex: 0, detail: draft.problemDetail))
        } else {
            state.stage(draft.sample())
        }
    }

    static func isJSON(_ mediaType: String) -> Bool {
        let essence = mediaType.split(separator: ";").first.map { $0.trimmingSpaces.lowercased() } ?? ""
        return essence == "application/json" || essence == "text/json" || essence.hasSuffix("+json")
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
