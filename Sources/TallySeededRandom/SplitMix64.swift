/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// 2014): a fixed sequence per seed. The project's one seeded generator: the demo's usage
/// simulator and the benchmarks draw from it so a run is reproducible, and every test
/// target's property tests so a failure names a seed that repeats it. It has no
/// dependencies, so the pure targets' tests link nothing through it and the demo does not
/// depend on a test target.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<n` (`n` > 0; the modulo's bias is irrelevant for test cases).
    public mutating func next(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// A number in `0..<n` (`n` > 0).
    public mutating func next(below n: UInt64) -> UInt64 { next() % n }

    /// A number in `range`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
}
