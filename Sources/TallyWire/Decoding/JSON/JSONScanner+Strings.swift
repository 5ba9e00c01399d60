#if arch(x86_64)
import CTallySIMD
#endif

/// A JSON string's contents (between the quotes) as a span of the scanned bytes.
/// `hasEscapes` says whether the span must go through `JSONUnescaper` to get the text.
struct JSONStringSpan {
    var range: Range<Int>
    var hasEscapes: Bool
}

extension JSONScanner {
    /// Reads a string starting at the next `"`, validating its escapes and its UTF-8, and
    /// returns its span. Control characters inside strings are rejected, as RFC 8259
    /// requires; so are bytes that are not well-formed UTF-8 (`validateUTF8Sequence`).
    ///
    /// Split for the common case: a string whose first stop is its closing quote (plain
    /// ASCII, nearly every key and value in Ceilometer's samples) is read here, small
    /// enough to inline at every caller; anything else continues in `readStringRest`.
    @inline(__always)
    mutating func readString() throws(JSONSyntaxError) -> JSONStringSpan {
        quoteIsEscaped ? try readString(at: EscapedJSONText.self) : try readString(at: RawJSONText.self)
    }

    /// `readString()` for a scanner whose quoting is `Q`.
    @inline(__always)
    mutating func readString<Q: JSONQuoting>(at _: Q.Type) throws(JSONSyntaxError) -> JSONStringSpan {
        // Callers have usually just peeked at the quote; only skip whitespace if not.
        if position >= count || !atQuote(Q.self) { try skipToQuote(Q.self) }
        position += Q.isEscaped ? 2 : 1
        let start = position
        skipPlainStringBytes()
        if position < count {
            if !Q.isEscaped && base[position] == UInt8(ascii: "\"") {
                position += 1
                return JSONStringSpan(range: start..<(position - 1), hasEscapes: false)
            }
            if Q.isEscaped && atQuote(Q.self) {
                position += 2
                return JSONStringSpan(range: start..<(position - 2), hasEscapes: false)
            }
        }
        return try readStringRest(start: start)
    }

    /// Skips whitespace up to the opening quote of a string, or throws: kept out of line so
    /// that `readString`, inlined at every caller, carries no error text.
    @inline(never)
    mutating func skipToQuote<Q: JSONQuoting>(_: Q.Type) throws(JSONSyntaxError) {
        _ = try peek(Q.self)
        guard atQuote(Q.self) else { throw fail("expected a string, found \(describeByte())") }
    }

    /// The rest of a string that `readString` began at `start` (its contents), with the
    /// scanner at the first byte that needs attention: escapes, non-ASCII, errors.
    @inline(never)
    mutating func readStringRest(start: Int) throws(JSONSyntaxError) -> JSONStringSpan {
        let quoteWidth = quoteIsEscaped ? 2 : 1
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
            } else if c >= 0x80 {
                try validateUTF8Sequence()
            } else {
                throw fail("control character 0x\(String(c, radix: 16)) in string")
            }
        }
    }

    /// Advances over bytes that need no attention (ASCII other than `"`, `\` and below
    /// 0x20): sixteen at a time with SSE2 on x86-64 (`tally_string_stops16`, inlined from
    /// the C header), elsewhere eight at a time (`skipPlainStringWords`); then byte by byte
    /// for the last few bytes of the input (on x86-64 a word loop there too would load its
    /// constants at every inlined call). Non-ASCII bytes stop it too, so that `readString`
    /// validates their UTF-8. `plainRunReference` is the byte loop this must agree with
    /// (DecodeFastPathPropertyTests).
    @inline(__always)
    mutating func skipPlainStringBytes() {
        #if arch(x86_64)
        while position + 16 <= count {
            let stops = tally_string_stops16(base + position)
            if stops != 0 {
                position += stops.trailingZeroBitCount
                return
            }
            position += 16
        }
        #else
        skipPlainStringWords()
        #endif
        while position < count && !Self.stopsPlainRun(base[position]) { position += 1 }
    }

    /// The word loop of `skipPlainStringBytes` on CPUs without the SSE2 scan: eight bytes
    /// at a time with the classic "has a byte equal to / less than" tricks, stopping at the
    /// first byte that needs attention or where fewer than eight bytes remain. Compiled on
    /// every CPU so that the property tests can hold it to the byte loop on x86-64 too.
    @inline(__always)
    mutating func skipPlainStringWords() {
        #if _endian(little)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while position + 8 <= count {
            let word = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let hits = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (word &- ones &* 0x20) & ~word
                | word) & highs
            if hits != 0 {
                // The lowest flagged byte is exact; flags above it may be borrow artefacts.
                position += hits.trailingZeroBitCount >> 3
                return
            }
            position += 8
        }
        #endif
    }

    /// Whether a string scan must look at byte `c` (the definition the wide scans implement).
    @inline(__always)
    static func stopsPlainRun(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80
    }

    /// Where `skipPlainStringBytes` must stop from `from`: the reference for tests.
    func plainRunReference(from: Int) -> Int {
        var i = from
        while i < count && !Self.stopsPlainRun(base[i]) { i += 1 }
        return i
    }

    /// Steps over one multi-byte UTF-8 sequence at the scanner (a byte >= 0x80), or
    /// throws naming what is wrong and where. Well-formed means Unicode's table 3-7:
    /// no stray continuation bytes, no overlong encodings (C0, C1, E0 80–9F, F0 80–8F),
    /// no encoded surrogates (ED A0–BF), nothing above U+10FFFF (F4 90+, F5–FF), no
    /// truncated sequence. Python would not have encoded such bytes, and replacing them
    /// with U+FFFD would bill text that nobody sent.
    mutating func validateUTF8Sequence() throws(JSONSyntaxError) {
        let start = position
        let lead = base[start]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // the allowed range of the second byte
        switch lead {
        case 0x80...0xBF: throw fail("invalid UTF-8: stray continuation byte 0x\(String(lead, radix: 16))", at: start)
        case 0xC0, 0xC1: throw fail("invalid UTF-8: overlong encoding (lead byte 0x\(String(lead, radix: 16)))", at: start)
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xED: length = 3; high = 0x9F
        case 0xE1...0xEF: length = 3
        case 0xF0: length = 4; low = 0x90
        case 0xF4: length = 4; high = 0x8F
        case 0xF1...0xF3: length = 4
        default: throw fail("invalid UTF-8: byte 0x\(String(lead, radix: 16)) cannot start a character", at: start)
        }
        guard start + length <= count else { throw fail("invalid UTF-8: truncated \(length)-byte sequence", at: start) }
        let second = base[start + 1]
        if second < low || second > high {
            if second >= 0x80 && second <= 0xBF {
                let what = lead == 0xED ? "an encoded UTF-16 surrogate"
                    : lead == 0xF4 ? "a code point above U+10FFFF" : "an overlong encoding"
                throw fail("invalid UTF-8: \(what)", at: start)
            }
            throw fail("invalid UTF-8: truncated \(length)-byte sequence", at: start)
        }
        for i in 2..<length where base[start + i] & 0xC0 != 0x80 {
            throw fail("invalid UTF-8: truncated \(length)-byte sequence", at: start)
        }
        position = start + length
    }

    /// Validates one escape sequence at a backslash and steps over it. A `\u` escape of
    /// a UTF-16 high surrogate must be followed by one of a low surrogate, and both are
    /// stepped over; a lone surrogate is refused, as invalid UTF-8 is: it cannot be
    /// text (Python would fail to encode it), and U+FFFD would bill text nobody sent.
    mutating func skipEscape() throws(JSONSyntaxError) {
        guard position + 1 < count else { throw fail("unterminated escape") }
        switch base[position + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
             UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 2
        case UInt8(ascii: "u"):
            guard position + 6 <= count else { throw fail("truncated \\u escape") }
            // Four digits at once; the loop below only for a bad digit or a surrogate.
            if let unit = hexDigits4(base + position + 2), !(0xD800..<0xE000).contains(unit) {
                position += 6
                return
            }
            for i in 2..<6 where hexValue(base[position + i]) < 0 {
                throw fail("invalid hex digit in \\u escape", at: position + i)
            }
            let unit = JSONUnescaper.hex4(base + position + 2)
            if unit >= 0xDC00 && unit < 0xE000 { throw fail("lone UTF-16 low surrogate in a \\u escape") }
            if unit >= 0xD800 && unit < 0xDC00 {
                let low = position + 6
                guard low + 6 <= count, base[low] == UInt8(ascii: "\\"), base[low + 1] == UInt8(ascii: "u"),
                      (2..<6).allSatisfy({ hexValue(base[low + $0]) >= 0 }),
                      (0xDC00..<0xE000).contains(JSONUnescaper.hex4(base + low + 2)) else {
                    throw fail("lone UTF-16 high surrogate in a \\u escape")
                }
                position += 6
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
            // Four digits at once; the loop below only for a bad digit or a surrogate.
            if let unit = hexDigits4(base + position + 1), !(0xD800..<0xE000).contains(unit) {
                position += 5
                return
            }
            for i in 1..<5 where hexValue(base[position + i]) < 0 {
                throw fail("invalid hex digit in \\u escape", at: position + i)
            }
            // Surrogates (emoji, or a lone one to refuse) are left to the unescaping path.
            if (0xD800..<0xE000).contains(JSONUnescaper.hex4(base + position + 1)) {
                throw fail("surrogate escape in an escaped JSON text")
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
