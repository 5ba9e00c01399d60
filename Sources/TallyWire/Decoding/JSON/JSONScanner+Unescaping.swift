extension JSONScanner {
    /// Reads a string at the next `"` and unescapes it into `scratch` in the same pass,
    /// copying eight plain bytes per step. Used for large escaped strings (Ceilometer's
    /// `oslo.message`, a whole JSON document with an escape every few bytes), where a
    /// validating scan followed by a separate unescape would read everything twice.
    /// The result is valid until `scratch` is used again.
    mutating func readStringUnescaping(into scratch: ScratchBuffer) throws(JSONSyntaxError) -> UnsafeRawBufferPointer {
        guard try peek() == UInt8(ascii: "\"") else { throw fail("expected a string, found \(describeByte())") }
        position += 1
        let start = position
        // The text is never longer than the rest of the input; 8 bytes of slack let the
        // word loop store whole words past the last byte it keeps.
        scratch.reserve(count - position + 8)
        let out = scratch.base
        var o = 0
        while true {
            #if _endian(little)
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while position + 8 <= count {
                let word = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5C)
                let hits = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash
                    | (word &- ones &* 0x20) & ~word) & highs
                UnsafeMutableRawPointer(out + o).storeBytes(of: word, as: UInt64.self)
                if hits != 0 {
                    let plain = hits.trailingZeroBitCount >> 3
                    position += plain
                    o += plain
                    break
                }
                position += 8
                o += 8
            }
            #endif
            guard position < count else { throw fail("unterminated string", at: start - 1) }
            let c = base[position]
            if c == UInt8(ascii: "\"") {
                position += 1
                return UnsafeRawBufferPointer(start: out, count: o)
            }
            if c == UInt8(ascii: "\\") {
                // `\"` and `\\` are nearly all of the escapes in an escaped JSON document.
                if position + 1 < count, base[position + 1] == UInt8(ascii: "\"") || base[position + 1] == UInt8(ascii: "\\") {
                    out[o] = base[position + 1]
                    o += 1
                    position += 2
                    continue
                }
                o += try unescapeOne(to: out + o)
            } else if c < 0x20 {
                throw fail("control character 0x\(String(c, radix: 16)) in string")
            } else {
                out[o] = c
                o += 1
                position += 1
            }
        }
    }

    /// Validates and decodes the escape at the scanner (a backslash), writes its UTF-8,
    /// steps over it, and returns the number of bytes written.
    @inline(__always)
    private mutating func unescapeOne(to out: UnsafeMutablePointer<UInt8>) throws(JSONSyntaxError) -> Int {
        let escapeStart = position
        try skipEscape()
        let e = base[escapeStart + 1]
        switch e {
        case UInt8(ascii: "b"): out[0] = 0x08
        case UInt8(ascii: "f"): out[0] = 0x0C
        case UInt8(ascii: "n"): out[0] = 0x0A
        case UInt8(ascii: "r"): out[0] = 0x0D
        case UInt8(ascii: "t"): out[0] = 0x09
        case UInt8(ascii: "u"):
            var scalar = JSONUnescaper.hex4(base + escapeStart + 2)
            if scalar >= 0xD800 && scalar < 0xDC00 {
                // skipEscape checked that a low surrogate follows and stepped over both.
                let low = JSONUnescaper.hex4(base + escapeStart + 8)
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            return JSONUnescaper.writeUTF8(scalar, to: out)
        default: out[0] = e
        }
        return 1
    }
}
