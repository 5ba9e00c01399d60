/// An exact decimal number: `coefficient × 10^exponent`.
///
/// Quantities and prices are `ExactDecimal`s; binary floating point never enters
/// pricing. Parsing keeps every digit given (up to 38), like Python's
/// `decimal.Decimal(str)`; arithmetic (ExactDecimal+Arithmetic.swift) follows
/// Python's default context: 28 significant digits, ROUND_HALF_EVEN after each
/// operation, which is what CloudKitty computes with (docs/MONEY.md).
public struct ExactDecimal: Sendable {
    public var coefficient: Int128
    public var exponent: Int32

    @inlinable public init(coefficient: Int128, exponent: Int32) {
        self.coefficient = coefficient
        self.exponent = exponent
    }

    @inlinable public init(_ value: Int) {
        self.coefficient = Int128(value)
        self.exponent = 0
    }

    // Computed, not stored: a stored static is a lazy global that every use (a default
    // argument per priced window, each group's accumulator) reads through `swift_once`.
    @inlinable public static var zero: ExactDecimal { ExactDecimal(coefficient: 0, exponent: 0) }
    @inlinable public static var one: ExactDecimal { ExactDecimal(coefficient: 1, exponent: 0) }

    /// The largest coefficient magnitude a parsed value may carry (38 digits).
    public static let maxCoefficient: Int128 = 99_999_999_999_999_999_999_999_999_999_999_999_999
}

extension ExactDecimal {
    /// Parses ASCII decimal text: optional sign, digits with an optional point, optional
    /// exponent (`e`/`E`). No surrounding spaces, no `inf`/`nan`. Returns nil on anything
    /// else or when more than 38 significant digits are given.
    public init?(ascii bytes: UnsafeRawBufferPointer) {
        var i = 0
        let n = bytes.count
        guard n > 0 else { return nil }
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            i = 1
        }
        var coefficient: Int128 = 0
        var digits = 0
        var significant = 0
        var fractionDigits: Int32 = 0
        var seenPoint = false
        while i < n {
            let c = bytes[i]
            if c >= 48 && c <= 57 {
                digits += 1
                if coefficient != 0 || c != 48 { significant += 1 }
                if significant > 38 { return nil }
                coefficient = coefficient &* 10 &+ Int128(c &- 48)
                if seenPoint { fractionDigits += 1 }
            } else if c == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        var exponent: Int32 = 0
        if i < n {
            guard bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") else { return nil }
            i += 1
            var expNegative = false
            if i < n && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var expDigits = 0
            while i < n, bytes[i] >= 48, bytes[i] <= 57 {
                exponent = exponent &* 10 &+ Int32(bytes[i] &- 48)
                expDigits += 1
                if exponent > 100_000 { return nil }
                i += 1
            }
            guard expDigits > 0, i == n else { return nil }
            if expNegative { exponent = -exponent }
        }
        self.coefficient = negative ? -coefficient : coefficient
        self.exponent = exponent - fractionDigits
    }

    public init?(_ text: String) {
        var text = text
        guard let value = text.withUTF8({ ExactDecimal(ascii: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = value
    }
}

extension ExactDecimal: CustomStringConvertible {
    /// Plain notation, never an exponent, exactly the digits held (trailing zeros kept):
    /// `1.10` stays "1.10". Use `normalized()` first for a canonical rendering.
    public var description: String {
        let magnitude = coefficient.magnitude
        var digits = String(magnitude)
        let sign = coefficient < 0 ? "-" : ""
        if exponent >= 0 {
            if magnitude == 0 { return "0" }
            digits += String(repeating: "0", count: Int(exponent))
            return sign + digits
        }
        let scale = Int(-exponent)
        if digits.count <= scale {
            digits = String(repeating: "0", count: scale - digits.count + 1) + digits
        }
        let point = digits.index(digits.endIndex, offsetBy: -scale)
        return sign + digits[..<point] + "." + digits[point...]
    }

    /// The same value with trailing zeros of the coefficient removed (exponent raised),
    /// so equal values render identically. Zero normalizes to `0`.
    public func normalized() -> ExactDecimal {
        if coefficient == 0 { return .zero }
        var c = coefficient
        var e = exponent
        while c % 10 == 0 { c /= 10; e += 1 }
        return ExactDecimal(coefficient: c, exponent: e)
    }
}
