import Testing
@testable import TallyCore

/// A threshold field's plain digits skip the general `Decimal(str)` grammar: the short cut
/// must give exactly what the grammar gives (coefficient and exponent), and leave every
/// other spelling to it.
@Suite struct MetaNumberDigitsTests {
    private func general(_ text: String) -> MetaNumber? {
        var t = text
        return t.withUTF8 { MetaNumber.parsePythonDecimal($0) }
    }

    @Test func plainDigitsReadAsTheGrammarReadsThem() {
        let texts = ["0", "00", "7", "007", "64", "2048", "16384", "999999999999999999", "100000000000000000",
                     "1234567890123456789", "12345678901234567890123456789012345678901234", " 64", "64 ", "6.4e1",
                     "64.0", "-64", "+64", "1_000", "", "x", "6x", "inf"]
        for text in texts {
            for kind in [MetaKind.int, .string] {
                let fast = MetaNumber.parse(kind: kind, text: text), slow = general(text)
                #expect(fast == slow, "\(text)")
                if case .finite(let a, let ia) = fast, case .finite(let b, let ib) = slow {
                    #expect(a.coefficient == b.coefficient && a.exponent == b.exponent && ia == ib, "\(text)")
                }
            }
        }
    }
}
