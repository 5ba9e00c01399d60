/// The order-independent digest of the samples in a frame's lineage: the 128-bit
/// wrapping sum of a 128-bit mix of each sample's content key (`contentKey`,
/// docs/FRAMES.md). The engine accumulates it as samples are folded; `tally trace`
/// recomputes it from the samples read back from Kafka.
///
/// Content, not sample ids: a notification re-delivered under new ids (on another
/// partition) is the same usage, folded once, and whichever copy was folded first — an
/// accident of how the broker interleaved partitions — the digest is the same, so a
/// replay reading partitions in order reproduces it (issue 8 item 5).
public struct SampleDigest: Hashable, Sendable {
    public private(set) var high: UInt64 = 0
    public private(set) var low: UInt64 = 0

    public init() {}
    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    public init<S: Sequence>(_ keys: S) where S.Element == SampleKey {
        for key in keys { add(key) }
    }

    public mutating func add(_ key: SampleKey) {
        let (h, l) = SampleDigest.mix(key)
        let (sum, carry) = low.addingReportingOverflow(l)
        low = sum
        high = high &+ h &+ (carry ? 1 : 0)
    }

    /// 32 lowercase hex digits, high word first.
    public var hex: String {
        withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { Hex.encode(buffer: $0) }
    }

    public static func hex(_ keys: [SampleKey]) -> String { SampleDigest(keys).hex }

    /// A 128-bit mix of a key (two SplitMix64 finalisers); also used for content fingerprints.
    @inlinable
    public static func mix(_ key: SampleKey) -> (UInt64, UInt64) {
        func splitmix(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return (splitmix(key.high ^ splitmix(key.low)), splitmix(key.low &+ splitmix(key.high)))
    }

    /// What makes two samples the same usage: metric, resource, project, user,
    /// timestamp, counter type and volume (normalised: 8 and 8.0 are the same), each
    /// string by a hash of its bytes (kept by the symbol table), never by its symbol id,
    /// which depends on the order strings were first seen. The rater drops a sample whose
    /// content key it has folded before (a duplicate under another id).
    @inlinable
    public static func contentKey(of sample: DecodedSample, in symbols: SymbolTable) -> SampleKey {
        let v = sample.volume.normalized()
        let a = symbols.contentHash(sample.metric) &+ rotl(symbols.contentHash(sample.resource), 21)
        let b = symbols.contentHash(sample.project) ^ rotl(symbols.contentHash(sample.user), 43)
        let c = UInt64(bitPattern: sample.timestamp.micros) ^ UInt64(sample.counterType.rawValue) << 61
        let d = UInt64(truncatingIfNeeded: v.coefficient) ^ UInt64(truncatingIfNeeded: v.coefficient >> 64) &* 31
            ^ UInt64(bitPattern: Int64(v.exponent)) << 48
        let (h1, l1) = mix(SampleKey(high: a, low: b))
        let (h2, l2) = mix(SampleKey(high: c ^ 0xF1A6_E4B1_7C0D_E000, low: d))
        return SampleKey(high: h1 ^ rotl(h2, 17), low: l1 ^ rotl(l2, 29))
    }

    @usableFromInline @inline(__always) static func rotl(_ x: UInt64, _ n: UInt64) -> UInt64 { (x << n) | (x >> (64 - n)) }

    static func hex64(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// A key as 8-4-4-4-12 lowercase hex.
    public static func uuidText(_ key: SampleKey) -> String {
        let h = Array(hex64(key.high) + hex64(key.low))
        return String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-" + String(h[16..<20]) + "-" + String(h[20..<32])
    }
}
