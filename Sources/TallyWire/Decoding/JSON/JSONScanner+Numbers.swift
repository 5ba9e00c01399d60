/// A number token as written: its span, whether it is a plain integer (no fraction,
/// no exponent), and whether it is one of Python's non-finite spellings.
struct JSONNumberSpan {
    var range: Range<Int>
    var isInteger: Bool
    var isNonFinite: Bool
}

extension JSONScanner {
    /// Reads a number token, checking RFC 8259's grammar
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, or one of `NaN`,
    /// `Infinity`, `-Infinity`.
    mutating func readNumber() throws(JSONSyntaxError) -> JSONNumberSpan {
        let first = try peek()
        let start = position
        // The literals are tried only when the first bytes can start one (`N`, `I`, `-I`):
        // three literal compares per number cost more than the digits of most numbers.
        if first == UInt8(ascii: "N") || first == UInt8(ascii: "I")
            || first == UInt8(ascii: "-") && position + 1 < count && base[position + 1] == UInt8(ascii: "I") {
            if matchLiteral("NaN") || matchLiteral("Infinity") || matchLiteral("-Infinity") {
                return JSONNumberSpan(range: start..<position, isInteger: false, isNonFinite: true)
            }
        }
        if base[position] == UInt8(ascii: "-") { position += 1 }
        guard position < count, isDigit(base[position]) else { throw fail("invalid number") }
        if base[position] == UInt8(ascii: "0") {
            position += 1
            if position < count, isDigit(base[position]) { throw fail("leading zero in number", at: start) }
        } else {
            skipDigits()
        }
        var isInteger = true
        if position < count, base[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < count, isDigit(base[position]) else { throw fail("missing digits after '.'") }
            skipDigits()
        }
        if position < count, base[position] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            if position < count, base[position] == UInt8(ascii: "+") || base[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < count, isDigit(base[position]) else { throw fail("missing exponent digits") }
            skipDigits()
        }
        return JSONNumberSpan(range: start..<position, isInteger: isInteger, isNonFinite: false)
    }

    @inline(__always)
    mutating func skipDigits() {
        while position < count, isDigit(base[position]) { position += 1 }
    }
}

@inline(__always)
func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }
