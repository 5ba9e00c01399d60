import Testing
import TallyCore
@testable import TallyScript

@Suite struct DecimalTests {
    @Test func pricesFromDecArithmetic() throws {
        // 2.5 h at 0.10 per hour, plus a 0.01 fee, times 3 / 2
        #expect(try price("return (window.quantity * dec('0.10') + dec('0.01')) * 3 / dec(2)") == "0.39")
        #expect(try price("return window.price + 1", window: sampleWindow(price: "4.20")) == "5.2")
        #expect(try price("return -(window.quantity - 5)") == "2.5")
        #expect(try price("return dec('0.1') + dec('0.2')") == "0.3") // exact, unlike binary floats
        #expect(try price("return window.metadata.ram / 1024") == "2")
    }

    @Test func comparisonsAndText() throws {
        let body = """
        assert(dec('1.10') == dec('1.1'))
        assert(dec('0.3') < dec('0.31') and dec(2) <= 2 and 1 < dec('1.5'))
        assert(tostring(dec('1.10') + 1) == '2.10')
        assert('price ' .. dec('3.50') == 'price 3.50')
        return 1
        """
        #expect(try price(body) == "1")
    }

    @Test(arguments: ["dec(0.1)", "dec('1') * 1.5", "dec('1') + '2'", "dec('abc')", "dec('1') / 0",
                      "dec({})", "{} .. dec(1)", "dec('1e1000')", "dec('123456789012345678901234567890') * dec('123456789012345678901234567890')"])
    func invalidDecOperationsAreRuntimeErrors(expression: String) throws {
        let error = try #require(try failure("return \(expression)"))
        #expect(error.kind == .runtime)
        #expect(error.line == 2)
    }

    @Test func floatsAreRefusedWithAHint() throws {
        let error = try #require(try failure("return dec(1) * 0.5"))
        #expect(error.message.contains("use dec('...') for money"))
    }

    @Test func returnTypes() throws {
        #expect(try price("return '12.340'") == "12.34")
        #expect(try price("return 7") == "7")
        for body in ["return 1.5", "return nil", "return {}", "return 'ten'", "return true", ""] {
            let error = try #require(try failure(body), "\(body)")
            #expect(error.kind == .badReturn, "\(body)")
        }
        #expect(try failure("return 1.5")?.message.contains("use dec('...') for money") == true)
    }

    @Test func sameInputGivesTheSameOutput() throws {
        let s = try script("""
        local total = dec(0)
        for k, v in pairs(window.metadata) do total = total + #k end
        for k, v in pairs(window.groupby) do total = total * 3 + #v end
        return total * window.quantity / 7
        """)
        let first = try s.evaluate(sampleWindow())
        let again = try s.evaluate(sampleWindow())
        let fresh = try script("return window.quantity").evaluate(sampleWindow())
        #expect(first == again)
        #expect(first.description == again.description)
        #expect(fresh == ExactDecimal("2.5")!)
    }
}
