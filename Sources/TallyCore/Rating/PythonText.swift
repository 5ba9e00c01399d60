/// The Python spellings CloudKitty's hashmap sees. Its description values are Python
/// objects decoded from JSON, and field mappings compare `str(value)`; field thresholds
/// compare `Decimal(value)`. These helpers reproduce both from a JSON kind and token.
public enum PythonText {
    /// `str(value)` of a decoded JSON value: strings as they are, integers as written
    /// ("-0" becomes "0"), floats by Python's shortest `repr` (8.0 → "8.0", 1e16 →
    /// "1e+16", 6.4e1 → "64.0"), true → "True", false → "False", null → "None".
    /// Objects and arrays keep their JSON text (Python would print a dict/list repr;
    /// no rating rule can usefully match those).
    public static func str(kind: MetaKind, text: String) -> String {
        switch kind {
        case .string, .other, .absent: return text
        case .int: return text == "-0" ? "0" : text
        case .float: return Double(text).map(repr) ?? text
        case .bool: return text == "true" ? "True" : "False"
        case .null: return "None"
        }
    }

    /// Calls `body` with the bytes of `str(value)` (see `str(kind:text:)`), without
    /// allocating except for floats.
    @inline(__always)
    static func withStr<R>(kind: MetaKind, value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        func constant(_ s: StaticString) -> R { body(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)) }
        switch kind {
        case .string, .other, .absent: return body(value)
        case .int: return value.count == 2 && value[0] == UInt8(ascii: "-") && value[1] == UInt8(ascii: "0") ? constant("0") : body(value)
        case .bool: return value.count == 4 ? constant("True") : constant("False")
        case .null: return constant("None")
        case .float:
            var text = str(kind: .float, text: String(decoding: value, as: UTF8.self))
            return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Python's `repr(float)`: the shortest digits that round-trip, fixed notation when
    /// the decimal point position is in -4 < p <= 16, otherwise `d.ddde±XX`.
    public static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let sign = value.sign == .minus ? "-" : ""
        if value == 0 { return sign + "0.0" }
        let (digits, point) = shortestDigits(value.magnitude)
        if point > -4 && point <= 16 {
            if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
            if point >= digits.count {
                return sign + digits + String(repeating: "0", count: point - digits.count) + ".0"
            }
            let cut = digits.index(digits.startIndex, offsetBy: point)
            return sign + digits[..<cut] + "." + digits[cut...]
        }
        let exponent = point - 1
        let mantissa = digits.count == 1 ? digits : String(digits.first!) + "." + digits.dropFirst()
        let expDigits = String(abs(exponent))
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (expDigits.count < 2 ? "0" : "") + expDigits
    }

    /// Shortest round-trip digits (no leading/trailing zeros) and the position of the
    /// decimal point relative to them (value = 0.DIGITS × 10^point). Swift's own
    /// `description` already finds the shortest digits; only its layout differs.
    static func shortestDigits(_ value: Double) -> (String, Int) {
        var mantissa = Substring(value.description)
        var exponent = 0
        if let e = mantissa.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(mantissa[mantissa.index(after: e)...])!
            mantissa = mantissa[..<e]
        }
        var digits = ""
        var point = 0
        var seenPoint = false
        for c in mantissa {
            if c == "." { seenPoint = true; continue }
            if digits.isEmpty && c == "0" { if seenPoint { point -= 1 }; continue }
            digits.append(c)
            if !seenPoint { point += 1 }
        }
        while digits.count > 1 && digits.last == "0" { digits.removeLast() }
        return (digits, point + exponent)
    }
}
