import Testing
@testable import TallyCore
import TallySeededRandom

/// Holds the machine-word arithmetic (`DecimalWord`, the word paths of `ExactDecimal`'s
/// `*` and `+`, the hashmap's word-computed group results) to the general `ExactDecimal`
/// path on random operands: the same coefficient and the same exponent, not just an equal
/// value, since explanations and `description` show the digits held. Operands cover small
/// and word-edge coefficients, 28- and 38-digit ones, negatives, zeros, and exponents at
/// the word range's edges (±2^28) and far beyond, so both the word path and its fallback
/// (overflow, wide gaps, long coefficients) run many times.
@Suite struct DecimalWordTests {
    typealias Generator = SplitMix64

    static let edgeCoefficients: [Int128] = [
        0, 1, 7, 10, 999, 1_000_000, Int128(Int64.max), Int128(Int64.max) - 1, Int128(Int64.min), Int128(Int64.min) + 1,
        Int128(Int64.max) + 1, 3_037_000_499, 3_037_000_500, 4_294_967_296, 999_999_999_999_999_999, 1_000_000_000_000_000_000,
        9_999_999_999_999_999_999_999_999_999, 10_000_000_000_000_000_000_000_000_000, 3_333_333_333_333_333_333_333_333_333,
        ExactDecimal.maxCoefficient,
    ]

    /// Exponents at the word range's edges and beyond. A product of four (a group result)
    /// stays within `Int32`, where the general path traps, with room for its rounding.
    static let edgeExponents: [Int32] = [
        0, -1, -2, -3, -18, -19, -28, -40, 1, 2, 18, 19, 27, 28, 40,
        1 << 28, (1 << 28) - 1, (1 << 28) + 1, -(1 << 28), -(1 << 28) + 1, -(1 << 28) - 1,
    ]
    /// Exponents for pairs only: far beyond the word range.
    static let pairExponents: [Int32] = edgeExponents + [1 << 29, -(1 << 29), (1 << 30) - 64, -(1 << 30)]

    static func operand(_ g: inout Generator, exponents: [Int32] = edgeExponents) -> ExactDecimal {
        var c: Int128
        switch g.next() % 6 {
        case 0: c = edgeCoefficients[Int(g.next() % UInt64(edgeCoefficients.count))]
        case 1: c = Int128(g.next() % 10_000)
        case 2: c = Int128(Int64(bitPattern: g.next()) >> (g.next() % 63))  // any word size
        case 3: c = Int128(g.next() % 10_000_000_000_000_000)
        default:  // up to 38 digits
            c = (Int128(g.next() >> 1) << 64 | Int128(g.next())) % (ExactDecimal.maxCoefficient + 1)
            c /= Int128(Pow10.u128[Int(g.next() % 38)])
        }
        if g.next() % 3 == 0 { c = -c }
        let e: Int32 = g.next() % 3 == 0 ? exponents[Int(g.next() % UInt64(exponents.count))] : Int32(g.next() % 41) - 20
        return ExactDecimal(coefficient: c, exponent: e)
    }

    static func same(_ a: ExactDecimal, _ b: ExactDecimal) -> Bool {
        a.coefficient == b.coefficient && a.exponent == b.exponent
    }

    @Test func wordArithmeticEqualsTheGeneralPath() {
        var g = Generator(state: 20_261_207)
        var wordProducts = 0, wideProducts = 0, wordSums = 0, wideSums = 0
        for _ in 0..<300_000 {
            let a = Self.operand(&g, exponents: Self.pairExponents), b = Self.operand(&g, exponents: Self.pairExponents)
            let product = ExactDecimal.wideProduct(a, b), sum = ExactDecimal.wideSum(a, b)
            #expect(Self.same(a * b, product), "\(a) * \(b): \(a * b) against \(product)")
            #expect(Self.same(a + b, sum), "\(a) + \(b): \(a + b) against \(sum)")
            #expect(Self.same(a - b, ExactDecimal.wideSum(a, -b)), "\(a) - \(b)")
            if let x = DecimalWord(a), let y = DecimalWord(b) {
                if let p = x * y {
                    #expect(Self.same(p.exact, product), "\(a) * \(b) in words")
                    wordProducts += 1
                } else { wideProducts += 1 }
                if let s = x + y {
                    #expect(Self.same(s.exact, sum), "\(a) + \(b) in words")
                    wordSums += 1
                } else { wideSums += 1 }
            }
        }
        // Both sides of each path ran often (the operands are spread on purpose).
        #expect(wordProducts > 20_000 && wideProducts > 20_000 && wordSums > 20_000 && wideSums > 20_000,
                "\(wordProducts) \(wideProducts) \(wordSums) \(wideSums)")
    }

    @Test func wordsRefuseWhatTheyCannotHoldExactly() {
        #expect(DecimalWord(ExactDecimal(coefficient: Int128(Int64.max) + 1, exponent: 0)) == nil)
        #expect(DecimalWord(ExactDecimal(coefficient: 5, exponent: (1 << 28) + 1)) == nil)
        #expect(DecimalWord(ExactDecimal(coefficient: 5, exponent: -(1 << 28) - 1)) == nil)
        let big = DecimalWord(coefficient: Int64.max, exponent: 0), two = DecimalWord(coefficient: 2, exponent: 0)
        #expect(big * two == nil)
        #expect(big + DecimalWord(coefficient: 1, exponent: 0) == nil)
        // A gap over 18 digits is left to the general path, which rounds such sums.
        #expect(DecimalWord(coefficient: 1, exponent: 19) + DecimalWord(coefficient: 1, exponent: 0) == nil)
        let edge = DecimalWord(coefficient: 1, exponent: 1 << 28)
        #expect(edge * DecimalWord(coefficient: 1, exponent: 1) == nil)
        #expect((edge * DecimalWord(coefficient: 1, exponent: -1))?.exponent == (1 << 28) - 1)
        // Python keeps the exponent of each operation: 1.10 × 2 is 2.20, 1.5 + 0.25 is 1.75.
        let r = (DecimalWord(coefficient: 110, exponent: -2) * two)!
        #expect(r.coefficient == 220 && r.exponent == -2)
        let s = (DecimalWord(coefficient: 15, exponent: -1) + DecimalWord(coefficient: 25, exponent: -2))!
        #expect(s.coefficient == 175 && s.exponent == -2)
    }

    /// The hashmap's group result in words against the same steps in `ExactDecimal`, over
    /// random accumulators: flat and rate, with no threshold or a field or service threshold
    /// of either type.
    @Test func groupResultsInWordsEqualTheGeneralPath() {
        var g = Generator(state: 7_777)
        var inWords = 0, general = 0
        for _ in 0..<100_000 {
            let mapping = CompiledMapping(rule: 0, group: 0, type: .flat, cost: Self.operand(&g))
            let threshold = CompiledThreshold(rule: 1, group: 0, level: .zero, type: g.next() % 2 == 0 ? .flat : .rate,
                                              cost: Self.operand(&g))
            let quantity = Self.operand(&g)
            let rate = g.next() % 4 == 0 ? ExactDecimal.one : Self.operand(&g)
            withUnsafePointer(to: mapping) { m in
                withUnsafePointer(to: threshold) { t in
                    var acc = HashmapModule.Accumulator()
                    acc.rate = rate
                    if g.next() % 5 != 0 { acc.flatMapping = m }
                    switch g.next() % 3 {
                    case 0: break
                    case 1: acc.threshold = t
                    default: acc.threshold = t; acc.thresholdOnService = true
                    }
                    let reference = HashmapModule.generalResult(acc, quantity: quantity)
                    #expect(Self.same(HashmapModule.groupResult(acc, quantity: quantity), reference))
                    if let q = DecimalWord(quantity), let word = HashmapModule.wordResult(acc, quantity: q) {
                        #expect(Self.same(word.exact, reference), "\(acc.flat) \(acc.rate) \(quantity) \(threshold)")
                        inWords += 1
                    } else {
                        general += 1
                    }
                }
            }
        }
        #expect(inWords > 5_000 && general > 5_000, "\(inWords) \(general)")
    }
}
