import Testing
@testable import TallyCore

/// ExactDecimal against Python's decimal module (golden data from tools/golden).
@Suite struct MoneyArithmeticTests {
    static func dec(_ text: Substring) -> ExactDecimal {
        guard let value = ExactDecimal(String(text)) else { fatalError("unparsable golden value \(text)") }
        return value
    }

    @Test func goldenArithmeticMatchesPython() {
        var checked = 0
        for line in moneyGoldenArithmetic.split(separator: "\n") {
            let parts = line.split(separator: " ")
            let a = Self.dec(parts[0]), b = Self.dec(parts[2]), expected = Self.dec(parts[4])
            let result: ExactDecimal
            switch parts[1] {
            case "+": result = a + b
            case "-": result = a - b
            case "*": result = a * b
            default: result = a.divided(by: b)
            }
            #expect(result == expected, "\(line) gave \(result)")
            #expect(result.normalized().coefficient.magnitude < ExactDecimal.precisionLimit, "\(line): more than 28 digits")
            checked += 1
        }
        #expect(checked > 3000)
    }

    @Test func halfEvenTies() {
        // 28 digits then a 5: ties go to the even neighbour.
        let base = ExactDecimal("1000000000000000000000000000")!  // 28 digits
        #expect(base + ExactDecimal("0.5")! == base)
        #expect(base + ExactDecimal("1.5")! == ExactDecimal("1000000000000000000000000002")!)
        #expect(base + ExactDecimal("0.50000000001")! == ExactDecimal("1000000000000000000000000001")!)
        #expect(ExactDecimal(2).divided(by: ExactDecimal(3)) == ExactDecimal("0.6666666666666666666666666667")!)
        #expect(ExactDecimal(1).divided(by: ExactDecimal(8)) == ExactDecimal("0.125")!)
    }

    @Test func hugeExponentGapsRoundWithStickyDigits() {
        let big = ExactDecimal("1e100")!
        let tiny = ExactDecimal("1e-100")!
        #expect(big + tiny == big)
        #expect(big - tiny == big)
        let one = ExactDecimal(1)
        #expect(one - tiny == one)  // 0.999… (100 nines) rounds back up to 1
        let nines = ExactDecimal("9999999999999999999999999999")!  // 28 nines
        #expect(nines + ExactDecimal("0.5")! == ExactDecimal("1E+28")!)
        #expect(nines + tiny == nines)
        #expect((nines + tiny).description.count <= 30)
    }

    @Test func comparisonNeverOverflows() {
        #expect(ExactDecimal("1e-90000")! < ExactDecimal("1e90000")!)
        #expect(ExactDecimal("-1e90000")! < ExactDecimal("1e-90000")!)
        #expect(ExactDecimal("1.10")! == ExactDecimal("1.1")!)
        #expect(ExactDecimal("1.10")!.hashValue == ExactDecimal("11e-1")!.hashValue)
        #expect(ExactDecimal("0")! == ExactDecimal("-0.000")!)
    }

    @Test func canonicalText() {
        #expect(ExactDecimal("1.10")!.canonicalText == "1.1")
        #expect(ExactDecimal("1.5E+3")!.canonicalText == "1500")
        #expect(ExactDecimal("-0.000")!.canonicalText == "0")
        #expect(ExactDecimal("-0.0500")!.canonicalText == "-0.05")
        #expect((ExactDecimal("1.337")! - ExactDecimal("1.337")!).canonicalText == "0")
        #expect(ExactDecimal("12e-5")!.canonicalText == "0.00012")
    }

    @Test func goldenDoubleComparisonsMatchPython() {
        #expect(moneyGoldenDoubles.split(separator: "\n").count > 1000)
        for line in moneyGoldenDoubles.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard let value = Double(String(parts[0])) else { Issue.record("bad hex \(parts[0])"); continue }
            let probe = Self.dec(parts[2])
            let expected = Int(parts[3])!
            #expect(ExactDecimal.compare(double: value, with: probe) == expected, "\(line)")
            #expect(PythonText.repr(value) == String(parts[1]), "repr of \(parts[0])")
        }
    }

    @Test func exactDoubleConversion() {
        #expect(ExactDecimal(exactly: 8.0) == ExactDecimal(8))
        #expect(ExactDecimal(exactly: 0.5) == ExactDecimal("0.5")!)
        #expect(ExactDecimal(exactly: 8.1) == nil)  // needs 50 digits
        #expect(ExactDecimal.compare(double: 8.1, with: ExactDecimal("8.1")!) == -1)
        #expect(ExactDecimal.compare(double: .nan, with: .zero) == nil)
        #expect(ExactDecimal.compare(double: -.infinity, with: ExactDecimal("-1e9000")!) == -1)
    }
}
