/// Two decimal digits at a time: timestamps, integers and prices in frames are written as
/// digit pairs, one two-byte load from a 200-byte table and one store per pair, instead of
/// a division and a store per digit.
enum DigitPairs {
    /// The two ASCII digits of `v` (0–99), first digit in the low byte (memory order).
    @inline(__always) static func pair(_ v: Int) -> UInt16 {
        UnsafeRawPointer(table.utf8Start).loadUnaligned(fromByteOffset: 2 &* v, as: UInt16.self)
    }

    /// Writes `v` (0–99) as two digits at `out`.
    @inline(__always) static func write(_ v: Int, to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: pair(v), as: UInt16.self)
    }

    /// How many decimal digits `v` has (1 for zero).
    @inline(__always) static func count(_ v: UInt64) -> Int {
        var n = 1, power: UInt64 = 10
        while n < 20 && v >= power { n += 1; power &*= 10 }
        return n
    }

    /// Writes the decimal digits of `v` ("0" for zero) right to left, ending just before
    /// `end`; returns how many it wrote (at most 20).
    @inline(__always) static func writeDigits(_ v: UInt64, endingAt end: UnsafeMutableRawPointer) -> Int {
        var v = v, at = 0
        while v >= 100 { at -= 2; write(Int(v % 100), to: end + at); v /= 100 }
        if v >= 10 {
            at -= 2; write(Int(v), to: end + at)
        } else {
            at -= 1; end.storeBytes(of: UInt8(truncatingIfNeeded: v) &+ 48, toByteOffset: at, as: UInt8.self)
        }
        return -at
    }

    /// "00" … "99": a literal, so the table is constant data (no lazily initialised global).
    @inline(__always) private static var table: StaticString {
        """
        00010203040506070809101112131415161718192021222324\
        25262728293031323334353637383940414243444546474849\
        50515253545556575859606162636465666768697071727374\
        75767778798081828384858687888990919293949596979899
        """
    }
}
