import Testing
@testable import TallyCore
@testable import TallyWire
import TallySeededRandom

/// The rule-log decoder judges a decimal canonical from its form alone
/// (`CanonicalTextChecks.isCanonicalDecimal`) instead of writing the value again and
/// comparing (`isCanonical(_:decimal:scratch:)`, the reference). Held equal on random texts
/// that `ExactDecimal(ascii:)` reads: canonical ones, and ones with a sign, leading or
/// trailing zeros, a bare or trailing point, an exponent, negative zero, up to 38 digits.
@Suite struct RuleLogDecimalCheckTests {
    static let seed: UInt64 = 0xDEC1_3A17_C0DE

    /// A random decimal-looking text, built from pieces that the canonical writer does and
    /// does not produce.
    static func text(_ rng: inout SplitMix64) -> String {
        func digits(_ count: Int, nonZeroFirst: Bool = false) -> String {
            var out = ""
            for i in 0..<count {
                let d = (i == 0 && nonZeroFirst) ? 1 + rng.next(9) : rng.next(10)
                out.append(Character(Unicode.Scalar(UInt8(48 + d))))
            }
            return out
        }
        let sign = ["", "", "", "-", "+"][rng.next(5)]
        let whole = [digits(1 + rng.next(20), nonZeroFirst: true), "0", "00", "0" + digits(1 + rng.next(3)), "",
                     digits(1 + rng.next(3))][rng.next(6)]
        var fraction = ""
        switch rng.next(5) {
        case 0: fraction = "." + digits(1 + rng.next(18))
        case 1: fraction = "." + digits(rng.next(6)) + String(1 + rng.next(9))  // ends non-zero
        case 2: fraction = "." + digits(rng.next(4)) + "0"  // a trailing zero
        case 3: fraction = "."
        default: break
        }
        let exponent = rng.next(8) == 0 ? ["e2", "E-3", "e+1", "e0"][rng.next(4)] : ""
        return sign + whole + fraction + exponent
    }

    @Test func theFormCheckAgreesWithWritingTheTextAgain() {
        print("RuleLogDecimalCheckTests seed \(Self.seed)")
        var rng = SplitMix64(seed: Self.seed)
        var scratch: [UInt8] = []
        var canonical = 0, other = 0
        let fixed = ["0", "-0", "0.0", "0.5", "-0.5", "1", "10", "100", "-100", "1.5", "1.50", "01", "00.1", ".5", "5.",
                     "0.05", "0.000001", "1e2", "+1", "-0.0", "12345678901234567890123456789012345678",
                     "1234567890123456789012345678901234567.8", "0.12345678901234567890123456789012345678"]
        var texts = fixed
        for _ in 0..<20_000 { texts.append(Self.text(&rng)) }
        for text in texts {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBytes { raw in
                guard let value = ExactDecimal(ascii: raw) else { return }
                let reference = CanonicalTextChecks.isCanonical(raw, decimal: value, scratch: &scratch)
                #expect(CanonicalTextChecks.isCanonicalDecimal(raw) == reference, "\(text)")
                if reference { canonical += 1 } else { other += 1 }
            }
        }
        #expect(canonical > 1_000 && other > 1_000, "canonical \(canonical), other \(other)")
    }
}
