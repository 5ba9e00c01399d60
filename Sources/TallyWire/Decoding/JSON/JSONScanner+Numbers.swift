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
        quoteIsEscaped ? try readNumber(EscapedJSONText.self) : try readNumber(RawJSONText.self)
    }

    /// `readNumber()` for a scanner whose quoting is `Q` (only the whitespace before it differs).
    /// A plain integer right at the scanner (most of Ceilometer's numbers) is read inline;
    /// anything else, errors included, by `readNumberInFull`.
    @inline(__always)
    mutating func readNumber<Q: JSONQuoting>(_: Q.Type) throws(JSONSyntaxError) -> JSONNumberSpan {
        if position < count, isDigit(base[position]) {
            let start = position
            position += 1
            if base[start] != UInt8(ascii: "0") { skipDigits() }
            // A digit here can only follow a leading zero: an error, reported by the full read.
            if position == count || !isDigit(base[position]) && base[position] != UInt8(ascii: ".")
                && base[position] | 0x20 != UInt8(ascii: "e") {
                return JSONNumberSpan(range: start..<position, isInteger: true, isNonFinite: false)
            }
            position = start
        }
        return try readNumberInFull(Q.self)
    }

    /// The whole grammar, with whitespace before the number and every error.
    @inline(never)
    mutating func readNumberInFull<Q: JSONQuoting>(_: Q.Type) throws(JSONSyntaxError) -> JSONNumberSpan {
        let first = try peek(Q.self)
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
