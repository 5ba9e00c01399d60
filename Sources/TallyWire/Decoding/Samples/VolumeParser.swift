import TallyCore

/// Reads a sample volume exactly into `ExactDecimal`, never through `Double`:
/// `212065572540217650` keeps every digit, `2.1e17` is 21 × 10^16.
enum VolumeParser {
    enum Outcome {
        case value(ExactDecimal)
        case negative
        case nonFinite
        /// Not a decimal number (or more than 38 significant digits).
        case invalid
    }

    /// A JSON number token already checked by the scanner.
    @inline(__always)
    static func parse(number bytes: UnsafeRawBufferPointer, isInteger: Bool, isNonFinite: Bool) -> Outcome {
        if isNonFinite { return .nonFinite }
        if isInteger, bytes.count <= 18, let value = smallInteger(bytes) {
            return value < 0 ? .negative : .value(ExactDecimal(coefficient: Int128(value), exponent: 0))
        }
        return decimal(bytes)
    }

    /// A volume sent as a JSON string: decimal text, or a non-finite spelling
    /// (`NaN`, `Infinity`, `inf`, with any case and sign), which is refused as such.
    static func parse(text bytes: UnsafeRawBufferPointer) -> Outcome {
        if isNonFiniteSpelling(bytes) { return .nonFinite }
        return decimal(bytes)
    }

    private static func decimal(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard let value = ExactDecimal(ascii: bytes) else { return .invalid }
        return value.coefficient < 0 ? .negative : .value(value)
    }

    /// Up to 18 digits always fit in Int64, so no overflow check is needed.
    @inline(__always)
    private static func smallInteger(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            i = 1
        }
        guard i < bytes.count else { return nil }
        var value: Int64 = 0
        while i < bytes.count {
            let d = bytes[i] &- 48
            guard d < 10 else { return nil }
            value = value &* 10 &+ Int64(d)
            i += 1
        }
        return negative ? -value : value
    }

    private static func isNonFiniteSpelling(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var body = bytes[...]
        if let first = body.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { body = body.dropFirst() }
        let lowered = body.map { $0 | 0x20 }
        return lowered.elementsEqual("nan".utf8) || lowered.elementsEqual("inf".utf8)
            || lowered.elementsEqual("infinity".utf8)
    }
}
