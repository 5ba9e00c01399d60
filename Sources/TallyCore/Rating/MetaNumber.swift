/// A description value read as Python's `Decimal(value)` for a field threshold
/// comparison. Long values keep their first 38 digits plus an "inexact" mark, which
/// orders exactly against any rule level (see `ExactDecimal.compare(truncated:…)`).
public enum MetaNumber: Sendable, Equatable {
    case finite(ExactDecimal, inexact: Bool)
    case infinity(negative: Bool)

    /// `Decimal(value) >= level`.
    public func isAtLeast(_ level: ExactDecimal) -> Bool {
        switch self {
        case .infinity(let negative): return !negative
        case .finite(let value, let inexact):
            return ExactDecimal.compare(truncated: value, inexact: inexact, with: level) >= 0
        }
    }

    /// Reads a description value. Nil when Python's `Decimal()` would raise, or the
    /// value is NaN (whose comparison raises): null, objects, arrays, non-numeric text.
    /// Strings allow surrounding whitespace, `_` between digits, `inf`/`infinity`;
    /// integers are exact; floats are their exact binary value; booleans are 0 and 1.
    public static func parse(kind: MetaKind, text: String) -> MetaNumber? {
        var text = text
        return text.withUTF8 { parse(kind: kind, bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The same from the value's UTF-8 bytes.
    public static func parse(kind: MetaKind, bytes: UnsafeRawBufferPointer) -> MetaNumber? {
        switch kind {
        case .null, .other, .absent: return nil
        case .bool: return .finite(bytes.count == 4 ? .one : .zero, inexact: false)
        case .float:
            guard let d = Double(String(decoding: bytes, as: UTF8.self)), !d.isNaN else { return nil }
            if d.isInfinite { return .infinity(negative: d < 0) }
            let (value, inexact) = ExactDecimal.truncatedExactValue(of: d)!
            return .finite(value, inexact: inexact)
        case .int, .string:
            if let digits = plainDigits(bytes) { return .finite(ExactDecimal(coefficient: Int128(digits), exponent: 0), inexact: false) }
            return parsePythonDecimal(bytes.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The value of 1–18 ASCII digits and nothing else (what `parsePythonDecimal` reads as
    /// that integer at exponent 0, leading zeros included), else nil. The usual threshold
    /// field ("memory": "2048") skips the general grammar: ~320 instructions per window there.
    @inline(__always) static func plainDigits(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard bytes.count > 0, bytes.count <= 18 else { return nil }
        var value: Int64 = 0
        for c in bytes {
            let digit = c &- 48
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int64(digit)
        }
        return value
    }

    /// Python's `Decimal(str)` grammar over ASCII bytes, keeping 38 significant digits.
    static func parsePythonDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> MetaNumber? {
        func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }
        var start = 0, end = bytes.count
        while start < end && isSpace(bytes[start]) { start += 1 }
        while end > start && isSpace(bytes[end - 1]) { end -= 1 }
        var i = start
        var negative = false
        if i < end && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
            negative = bytes[i] == UInt8(ascii: "-"); i += 1
        }
        if i < end && (bytes[i] | 0x20) == UInt8(ascii: "i") {
            let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<end]), as: UTF8.self).lowercased()
            return word == "inf" || word == "infinity" ? .infinity(negative: negative) : nil
        }
        var coefficient: Int128 = 0
        var kept = 0, dropped = 0, fraction = 0, digits = 0
        var inexact = false, seenPoint = false, previousWasDigit = false
        while i < end {
            let c = bytes[i]
            if c >= 48 && c <= 57 {
                digits += 1
                if kept < 38 {
                    if coefficient != 0 || c != 48 { kept += 1 }
                    coefficient = coefficient * 10 + Int128(c - 48)
                    if seenPoint { fraction += 1 }
                } else {
                    if c != 48 { inexact = true }
                    if !seenPoint { dropped += 1 }
                }
                previousWasDigit = true
            } else if c == UInt8(ascii: "_") && previousWasDigit && i + 1 < end && bytes[i + 1] >= 48 && bytes[i + 1] <= 57 {
                previousWasDigit = false
            } else if c == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true; previousWasDigit = false
            } else { break }
            i += 1
        }
        guard digits > 0 else { return nil }
        var exponent = 0
        if i < end {
            guard bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") else { return nil }
            i += 1
            var expNegative = false
            if i < end && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
                expNegative = bytes[i] == UInt8(ascii: "-"); i += 1
            }
            var expDigits = 0
            while i < end, bytes[i] >= 48, bytes[i] <= 57 {
                if exponent < 1_000_000 { exponent = exponent * 10 + Int(bytes[i] - 48) }
                expDigits += 1; i += 1
            }
            guard expDigits > 0, i == end else { return nil }
            if expNegative { exponent = -exponent }
        }
        let finalExponent = exponent + dropped - fraction
        guard let e32 = Int32(exactly: finalExponent) else {
            return finalExponent > 0 && coefficient != 0 ? .infinity(negative: negative) : .finite(.zero, inexact: false)
        }
        return .finite(ExactDecimal(coefficient: negative ? -coefficient : coefficient, exponent: e32), inexact: inexact)
    }
}
