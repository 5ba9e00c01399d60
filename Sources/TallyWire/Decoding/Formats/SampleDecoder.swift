import TallyCore

/// The format of an input topic's record values.
public enum InputFormat: String, Sendable, CaseIterable {
    /// Ceilometer's oslo.messaging notifications (`metering.sample`).
    case ceilometer
    /// One native sample per record (`schemas/sample.schema.json`).
    case native
    /// CloudEvents 1.0 structured-mode JSON with a native sample as `data`.
    case cloudEvents = "cloudevents"
    /// Native or CloudEvents, decided per record (the default for `tally.samples`).
    case nativeOrCloudEvents = "auto"
}

/// One decoder for any input format: the engine builds one per partition worker from
/// the topic's configured format. With `.nativeOrCloudEvents` each record is sniffed
/// (`SampleFormatSniffer`). All formats share one symbol table, plan and buffers.
public final class SampleDecoder {
    public let format: InputFormat
    let ceilometer: CeilometerDecoder
    private let native: NativeSampleDecoder
    private let cloudEvents: CloudEventsDecoder

    public init(format: InputFormat, symbols: SymbolTable, plan: MetadataPlan = .empty,
                options: DecoderOptions = DecoderOptions()) {
        self.format = format
        let state = DecoderState(symbols: symbols, plan: plan, options: options)
        ceilometer = CeilometerDecoder(state: state)
        native = NativeSampleDecoder(state: state)
        cloudEvents = CloudEventsDecoder(state: state)
    }

    /// The symbol table samples are interned in.
    public var symbols: SymbolTable { native.state.symbols }
    /// The plan that defines `DecodedSample.metadata`'s slots.
    public var plan: MetadataPlan { native.state.plan }
    /// How often a sample's metadata object was found in the decoder's cache of objects
    /// decoded before (`hits`), and how often it was walked (`misses`); both 0 when the
    /// plan reads no metadata or a sample names no resource before its metadata.
    public var metadataCacheCounts: (hits: Int, misses: Int) {
        native.state.metadataCache.map { ($0.hits, $0.misses) } ?? (0, 0)
    }

    /// Whether sample objects follow the shape of the one before (`MemberShape`), in every
    /// format. Tests turn it off to check that both decode the same.
    var predictsShapes: Bool {
        get { native.state.predictsShapes }
        set { native.state.predictsShapes = newValue }
    }

    /// Decodes one record value. `emit` receives each good sample (its `metadata` is valid
    /// only during the call); `reject` each refused sample with its index. A record-wide
    /// failure throws and emits nothing.
    @discardableResult
    public func decode(_ record: UnsafeRawBufferPointer, emit: (DecodedSample) -> Void,
                       reject: (SampleRejection) -> Void) throws(RecordDecodeError) -> RecordDecodeCounts {
        try decode(record, as: format, emit: emit, reject: reject)
    }

    /// Decodes one record value in `format` instead of the decoder's own (a routed record
    /// names its format in a header; `InputFormat.init(header:)`).
    @discardableResult
    public func decode(_ record: UnsafeRawBufferPointer, as format: InputFormat, emit: (DecodedSample) -> Void,
                       reject: (SampleRejection) -> Void) throws(RecordDecodeError) -> RecordDecodeCounts {
        switch format {
        case .ceilometer: return try ceilometer.decode(record, emit: emit, reject: reject)
        case .native: return try native.decode(record, emit: emit, reject: reject)
        case .cloudEvents: return try cloudEvents.decode(record, emit: emit, reject: reject)
        case .nativeOrCloudEvents:
            if SampleFormatSniffer.isCloudEvent(record) {
                return try cloudEvents.decode(record, emit: emit, reject: reject)
            }
            return try native.decode(record, emit: emit, reject: reject)
        }
    }
}

/// Tells CloudEvents from native samples on `tally.samples`: a CloudEvent is the only
/// one with a top-level `specversion` key (CloudEvents requires it; the sample schema
/// has no such field). Scans top-level keys only, skipping values, and stops at the
/// first `specversion`. Anything that is not a JSON object counts as native, whose
/// decoder then reports what is wrong with it.
///
/// A key `specversion` written without escapes is the bytes `"specversion"` in the record,
/// so a record without them is native, found by one `ByteSearch` (glibc's `memmem`) instead of
/// walking every key and value: `tally rate` and `tally route` ask this of every native
/// line (~3,300 instructions a line walked, about a tenth of `tally rate`'s time per window).
public enum SampleFormatSniffer {
    public static func isCloudEvent(_ record: UnsafeRawBufferPointer) -> Bool {
        guard mayHoldSpecversionKey(record) else { return false }
        return hasSpecversionKey(record)
    }

    /// Whether the bytes `"specversion"` occur anywhere in `record`.
    static func mayHoldSpecversionKey(_ record: UnsafeRawBufferPointer) -> Bool {
        ByteSearch.contains(record, #""specversion""#)
    }

    /// The key walk itself: a top-level key spelled `specversion` without escapes.
    static func hasSpecversionKey(_ record: UnsafeRawBufferPointer) -> Bool {
        var scanner = JSONScanner(record)  // plain JSON: the steps compiled for `RawJSONText` only
        do throws(JSONSyntaxError) {
            try scanner.beginObject(RawJSONText.self)
            var first = true
            while let key = try scanner.nextMember(&first, RawJSONText.self) {
                let name = scanner.bytes(key.range)
                if !key.hasEscapes, name.elementsEqual("specversion".utf8) { return true }
                try scanner.skipValue(RawJSONText.self)
            }
        } catch {
            return false
        }
        return false
    }

    /// The format of one `tally.samples` record.
    public static func detect(_ record: UnsafeRawBufferPointer) -> InputFormat {
        isCloudEvent(record) ? .cloudEvents : .native
    }
}
