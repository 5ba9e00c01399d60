/// The identity of one sample, used for deduplication: a UUID's 128 bits when the
/// source id is a UUID, otherwise a 128-bit hash of the id's bytes (see TallyWire).
public struct SampleKey: Hashable, Comparable, Sendable {
    public var high: UInt64
    public var low: UInt64
    @inlinable public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }
    @inlinable public static func < (a: SampleKey, b: SampleKey) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }
}

/// Ceilometer's counter types; native samples use the same names.
public enum CounterType: UInt8, Sendable {
    case gauge, delta, cumulative
}

/// The JSON kind of a metadata value. Hashmap matching depends on it: an integer
/// 8 matches "8", a float 8.0 does not (rating-semantics.md).
public enum MetaKind: UInt8, Sendable {
    case absent, null, bool, int, float, string, other
}

/// One metadata (or groupby) value, interned. `text` is the unescaped string for
/// strings, the JSON token text for numbers ("8", "8.0", "6.4e1"), "true"/"false"
/// for booleans, and the raw JSON text for objects and arrays (`other`).
public struct MetaValue: Hashable, Sendable {
    public var kind: MetaKind
    public var text: Symbol
    @inlinable public init(kind: MetaKind, text: Symbol) { self.kind = kind; self.text = text }
    public static let absent = MetaValue(kind: .absent, text: .none)
}

/// One decoded sample. Every field is fixed-size so that decoding allocates
/// nothing per sample; strings are interned in a `SymbolTable`.
/// `metadata` holds one slot per key of the decoder's `MetadataPlan`, in plan order;
/// it points into a buffer owned by the decoder and is valid only during the callback.
public struct DecodedSample {
    public var key: SampleKey
    public var metric: Symbol
    public var counterType: CounterType
    public var unit: Symbol
    public var volume: ExactDecimal
    public var timestamp: EventTime
    public var project: Symbol
    public var user: Symbol
    public var resource: Symbol
    public var metadata: UnsafeBufferPointer<MetaValue>

    public init(key: SampleKey, metric: Symbol, counterType: CounterType, unit: Symbol,
                volume: ExactDecimal, timestamp: EventTime, project: Symbol, user: Symbol,
                resource: Symbol, metadata: UnsafeBufferPointer<MetaValue>) {
        self.key = key; self.metric = metric; self.counterType = counterType; self.unit = unit
        self.volume = volume; self.timestamp = timestamp; self.project = project
        self.user = user; self.resource = resource; self.metadata = metadata
    }
}
