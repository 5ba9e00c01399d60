import CLua
import TallyCore

/// Keeps script arithmetic inside what `ExactDecimal` computes without trapping: a
/// script must get an error it can read, never crash the rater. Operands are tried as
/// given (so `dec("1.10") + 1` is `2.10`, like Python's Decimal) and, when that would
/// not fit, with trailing zeros removed.
///
/// The limits follow the provisional arithmetic (exact, unrounded, Int128 coefficient):
/// a result may hold at most 38 digits. When the 28-digit rounding arithmetic lands,
/// `fitsMultiplication` and `fitsDivision` can be relaxed to what it guarantees.
enum ScriptDecimalGuard {
    struct Failure: Error { var text: String }

    /// Exponents a script value may carry (after normalization), so alignment stays cheap.
    static let maxExponent: Int32 = 64
    static let maxDigits = 38

    static func apply(_ op: Int32, _ a: ExactDecimal, _ b: ExactDecimal) -> Result<ExactDecimal, Failure> {
        if op == Int32(TALLY_DEC_DIV), b.isZero {
            return .failure(Failure(text: "dec division by zero"))
        }
        for (x, y) in [(a, b), (a.normalized(), b.normalized())] where fits(op, x, y) {
            let result = compute(op, x, y)
            if let checked = inRange(result) { return .success(checked) }
            return .failure(Failure(text: "dec result \(result.normalized()) is out of range"))
        }
        return .failure(Failure(text: "dec \(name(op)) of \(a) and \(b) needs more than \(maxDigits) digits"))
    }

    /// The value itself, or normalized when that brings the exponent in range; nil otherwise.
    static func inRange(_ value: ExactDecimal) -> ExactDecimal? {
        if abs(value.exponent) <= maxExponent { return value }
        let n = value.normalized()
        return abs(n.exponent) <= maxExponent ? n : nil
    }

    private static func compute(_ op: Int32, _ a: ExactDecimal, _ b: ExactDecimal) -> ExactDecimal {
        switch op {
        case Int32(TALLY_DEC_ADD): return a + b
        case Int32(TALLY_DEC_SUB): return a - b
        case Int32(TALLY_DEC_MUL): return a * b
        case Int32(TALLY_DEC_DIV): return a.divided(by: b)
        default: return -a
        }
    }

    private static func fits(_ op: Int32, _ a: ExactDecimal, _ b: ExactDecimal) -> Bool {
        let da = digits(a.coefficient), db = digits(b.coefficient)
        switch op {
        case Int32(TALLY_DEC_ADD), Int32(TALLY_DEC_SUB):
            let low = min(a.exponent, b.exponent)
            return da + Int(a.exponent - low) < maxDigits && db + Int(b.exponent - low) < maxDigits
        case Int32(TALLY_DEC_MUL):
            return da + db <= maxDigits
        case Int32(TALLY_DEC_DIV):
            return da + 18 <= maxDigits // the provisional division scales by 10^18
        default:
            return true
        }
    }

    private static func digits(_ c: Int128) -> Int {
        var m = c.magnitude
        var count = 1
        while m >= 10 { m /= 10; count += 1 }
        return count
    }

    private static func name(_ op: Int32) -> String {
        switch op {
        case Int32(TALLY_DEC_ADD): return "sum"
        case Int32(TALLY_DEC_SUB): return "difference"
        case Int32(TALLY_DEC_MUL): return "product"
        case Int32(TALLY_DEC_DIV): return "quotient"
        default: return "negation"
        }
    }
}
