import TallyCore

/// A stable 64-bit mark of the usage a frame's tier steps report (cycle, prior quantity and
/// windows, quantity, cumulative before and after). Two explanations of the same window under
/// the same rules differ, when price and quantity stand, only in these; comparing marks tells
/// whether a re-priced window's frame must be revised. Stable across processes (FNV-1a over
/// fixed-width fields, not Swift's seeded `Hasher`), so it can be stored in the window record.
struct TierUsageMark: Equatable {
    let value: UInt64

    init(value: UInt64) { self.value = value }

    init(_ explanation: Explanation) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func mix(_ x: UInt64) {
            var x = x
            for _ in 0..<8 { h = (h ^ (x & 0xff)) &* 0x0000_0100_0000_01b3; x >>= 8 }
        }
        func mix(_ d: ExactDecimal) {
            mix(UInt64(truncatingIfNeeded: d.coefficient >> 64)); mix(UInt64(truncatingIfNeeded: d.coefficient))
            mix(UInt64(bitPattern: Int64(d.exponent)))
        }
        for (i, step) in explanation.modules.enumerated() {
            guard case .tiers(let tier?) = step.detail else { continue }
            mix(UInt64(i))
            for byte in tier.id.utf8 { mix(UInt64(byte)) }
            mix(UInt64(bitPattern: tier.cycleStart.micros))
            mix(tier.priorQuantity); mix(UInt64(bitPattern: Int64(tier.priorWindows)))
            mix(tier.quantity); mix(tier.cumulativeBefore); mix(tier.cumulativeAfter)
        }
        value = h
    }
}
