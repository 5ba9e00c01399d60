/// The distinct volumes of a window, for `unique_count`, as a sorted set of 64-bit
/// fingerprints of the normalized decimal (1.0 and 1 are the same value).
///
/// Bounded at `limit` entries (8 bytes each, 32 KiB at most): past it new values are
/// no longer recorded, `saturated` is set and the count is a lower bound. Fingerprint
/// collisions are possible in principle (about 1 in 10^12 at the limit).
struct DistinctValues: Hashable, Sendable {
    static let limit = 4096
    var fingerprints: [UInt64] = []
    var saturated = false

    mutating func insert(_ value: ExactDecimal) { insert(fingerprint: Self.fingerprint(of: value)) }

    mutating func insert(fingerprint: UInt64) {
        var low = 0, high = fingerprints.count
        while low < high {
            let mid = (low + high) >> 1
            if fingerprints[mid] < fingerprint { low = mid + 1 } else { high = mid }
        }
        if low < fingerprints.count && fingerprints[low] == fingerprint { return }
        guard fingerprints.count < Self.limit else { saturated = true; return }
        fingerprints.insert(fingerprint, at: low)
    }

    mutating func merge(_ other: DistinctValues) {
        for f in other.fingerprints { insert(fingerprint: f) }
        saturated = saturated || other.saturated
    }

    var count: Int { fingerprints.count }

    /// A fixed (unseeded) mix of the normalized coefficient and exponent, so that
    /// fingerprints persisted in LMDB stay valid across processes.
    static func fingerprint(of value: ExactDecimal) -> UInt64 {
        let n = value.normalized()
        let bits = UInt128(bitPattern: n.coefficient)
        var h = mix(UInt64(truncatingIfNeeded: bits) ^ 0x9E37_79B9_7F4A_7C15)
        h = mix(h ^ UInt64(truncatingIfNeeded: bits >> 64))
        return mix(h ^ UInt64(UInt32(bitPattern: n.exponent)))
    }

    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
