/// A JSON string's contents (between the quotes) as a span of the scanned bytes.
/// `hasEscapes` says whether the span must go through `JSONUnescaper` to get the text.
struct JSONStringSpan {
    var range: Range<Int>
    var hasEscapes: Bool
}

extension JSONScanner {
    /// Reads a string starting at the next `"`, validating its escapes, and returns its
    /// span. Control characters inside strings are rejected, as RFC 8259 requires.
    @inline(__always)
    mutating func readString() throws(JSONSyntaxError) -> JSONStringSpan {
        // Callers have usually just peeked at the quote; only skip whitespace if not.
        if position >= count || !atQuote() {
            _ = try peek()
            guard atQuote() else { throw fail("expected a string, found \(describeByte())") }
        }
        let quoteWidth = quoteIsEscaped ? 2 : 1
        position += quoteWidth
        let start = position
        var hasEscapes = false
        while true {
            skipPlainStringBytes()
            guard position < count else { throw fail("unterminated string", at: start - quoteWidth) }
            let c = base[position]
            if c == UInt8(ascii: "\"") {
                guard !quoteIsEscaped else { throw fail("unescaped quote inside an escaped JSON text") }
                position += 1
                return JSONStringSpan(range: start..<(position - 1), hasEscapes: hasEscapes)
            }
            if c == UInt8(ascii: "\\") {
                if quoteIsEscaped {
                    if position + 1 < count, base[position + 1] == UInt8(ascii: "\"") {
                        position += 2
                        return JSONStringSpan(range: start..<(position - 2), hasEscapes: hasEscapes)
                    }
                    try skipDoubledEscape()
                } else {
                    try skipEscape()
                }
                hasEscapes = true
            } else {
                throw fail("control character 0x\(String(c, radix: 16)) in string")
            }
        }
    }

    /// Advances over bytes that need no attention (not `"`, `\`, or below 0x20), eight
    /// at a time: the classic "has a byte equal to / less than" word tricks.
    @inline(__always)
    mutating func skipPlainStringBytes() {
        #if _endian(little)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while position + 8 <= count {
            let word = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let hits = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (word &- ones &* 0x20) & ~word) & highs
            if hits != 0 {
                // The lowest flagged byte is exact; flags above it may be borrow artefacts.
                position += hits.trailingZeroBitCount >> 3
                return
            }
            position += 8
        }
        #endif
        while position < count {
            let c = base[position]
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { return }
            position += 1
        }
    }

    /// Validates one escape sequence at a backslash and steps over it.
    mutating func skipEscape() throws(JSONSyntaxError) {
        guard position + 1 < count else { throw fail("unterminated escape") }
        switch base[position + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
             UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 2
        case UInt8(ascii: "u"):
            guard position + 6 <= count else { throw fail("truncated \\u escape") }
            for i in 2..<6 where hexValue(base[position + i]) < 0 {
                throw fail("invalid hex digit in \\u escape", at: position + i)
            }
            position += 6
        default:
            throw fail("invalid escape '\\\(Character(Unicode.Scalar(base[position + 1])))'")
        }
    }
}

extension JSONScanner {
    /// Steps over an escape of the inner JSON as it looks once escaped again: `\\`
    /// (the inner backslash), then the inner escape letter, which is itself `\"` or
    /// `\\` for an inner `\"` or `\\`.
    mutating func skipDoubledEscape() throws(JSONSyntaxError) {
        guard position + 2 < count, base[position + 1] == UInt8(ascii: "\\") else {
            throw fail("unsupported escape in an escaped JSON text")
        }
        position += 2
        switch base[position] {
        case UInt8(ascii: "\\"):
            guard position + 1 < count, base[position + 1] == UInt8(ascii: "\"") || base[position + 1] == UInt8(ascii: "\\") else {
                throw fail("invalid escape in an escaped JSON text")
            }
            position += 2
        case UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 1
        case UInt8(ascii: "u"):
            guard position + 5 <= count else { throw fail("truncated \\u escape") }
            for i in 1..<5 where hexValue(base[position + i]) < 0 {
                throw fail("invalid hex digit in \\u escape", at: position + i)
            }
            position += 5
        default:
            throw fail("invalid escape in an escaped JSON text")
        }
    }
}

/// The value of an ASCII hex digit, or -1.
@inline(__always)
func hexValue(_ c: UInt8) -> Int {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(c &- 48)
    case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(c &- 87)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(c &- 55)
    default: -1
    }
}
