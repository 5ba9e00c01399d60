/// The order-independent digest of a set of sample ids in a frame's lineage: the
/// 128-bit wrapping sum of a 128-bit mix of each key (docs/FRAMES.md). The engine
/// accumulates it as samples are folded; `tally trace` recomputes it from the
/// samples read back from Kafka.
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
    public var hex: String { SampleDigest.hex64(high) + SampleDigest.hex64(low) }

    public static func hex(_ keys: [SampleKey]) -> String { SampleDigest(keys).hex }

    /// A 128-bit mix of a key (two SplitMix64 finalisers); also used for content fingerprints.
    public static func mix(_ key: SampleKey) -> (UInt64, UInt64) {
        func splitmix(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return (splitmix(key.high ^ splitmix(key.low)), splitmix(key.low &+ splitmix(key.high)))
    }

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
