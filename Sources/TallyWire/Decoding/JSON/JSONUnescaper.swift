/// A growable byte buffer that a decoder owns and reuses for every record, so that
/// unescaping allocates only while it is still growing to the largest input seen.
final class ScratchBuffer {
    // Unchecked exclusivity: private to one decoder, never accessed re-entrantly.
    @exclusivity(unchecked) private(set) var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private(set) var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for `needed` bytes; the old contents are not kept.
    @inline(__always)
    func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        var grown = capacity * 2
        while grown < needed { grown *= 2 }
        base.deallocate()
        base = .allocate(capacity: grown)
        capacity = grown
    }
}

/// Turns the contents of a JSON string that `JSONScanner.readString` has validated into
/// UTF-8: simple escapes, `\uXXXX`, and surrogate pairs. The scanner refuses lone
/// surrogates; should one reach this function anyway it becomes U+FFFD.
enum JSONUnescaper {
    /// Unescapes `source` into `scratch` and returns the text, valid until the scratch
    /// buffer is used again. The output is never longer than the input.
    static func unescape(_ source: UnsafeRawBufferPointer, into scratch: ScratchBuffer) -> UnsafeRawBufferPointer {
        scratch.reserve(source.count)
        let out = scratch.base
        guard let input = source.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return UnsafeRawBufferPointer(start: out, count: 0)
        }
        let n = source.count
        var i = 0
        var o = 0
        while i < n {
            let c = input[i]
            if c != UInt8(ascii: "\\") {
                out[o] = c
                o += 1
                i += 1
                continue
            }
            let e = input[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out[o] = 0x08
            case UInt8(ascii: "f"): out[o] = 0x0C
            case UInt8(ascii: "n"): out[o] = 0x0A
            case UInt8(ascii: "r"): out[o] = 0x0D
            case UInt8(ascii: "t"): out[o] = 0x09
            case UInt8(ascii: "u"):
                var scalar = hex4(input + i)
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate must be followed by `\u` and a low surrogate.
                    if i + 6 <= n, input[i] == UInt8(ascii: "\\"), input[i + 1] == UInt8(ascii: "u") {
                        let low = hex4(input + i + 2)
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        } else {
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    scalar = 0xFFFD
                }
                o += writeUTF8(scalar, to: out + o)
                continue
            default: out[o] = e  // `"`, `\` and `/` stand for themselves.
            }
            o += 1
        }
        return UnsafeRawBufferPointer(start: out, count: o)
    }

    @inline(__always)
    static func hex4(_ p: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(hexValue(p[0]) << 12 | hexValue(p[1]) << 8 | hexValue(p[2]) << 4 | hexValue(p[3]))
    }

    /// Writes `scalar` as UTF-8 and returns the number of bytes written.
    @inline(__always)
    static func writeUTF8(_ scalar: UInt32, to out: UnsafeMutablePointer<UInt8>) -> Int {
        switch scalar {
        case ..<0x80:
            out[0] = UInt8(scalar)
            return 1
        case ..<0x800:
            out[0] = UInt8(0xC0 | scalar >> 6)
            out[1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case ..<0x10000:
            out[0] = UInt8(0xE0 | scalar >> 12)
            out[1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            out[2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            out[0] = UInt8(0xF0 | scalar >> 18)
            out[1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            out[2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            out[3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }
}
