import TallyCore

/// An exact sum of decimals, whatever their scales and however many: bills add
/// thousands of 28-digit prices, and `ExactDecimal` addition rounds to 28 digits, so a
/// sum there depends on the order of the terms. Here nothing rounds: positive and
/// negative terms are kept as big magnitudes (base 10⁹ limbs) at the smallest exponent
/// seen. Rounding happens only for display (`rounded(toDecimals:)`).
public struct ExactSum: Sendable, Hashable {
    private var positive: [UInt32] = []
    private var negative: [UInt32] = []
    /// The exponent both magnitudes are at; nil before any term.
    private var exponent: Int32?

    public init() {}

    public static func of(_ terms: [ExactDecimal]) -> ExactSum {
        var sum = ExactSum()
        for t in terms { sum.add(t) }
        return sum
    }

    public mutating func add(_ d: ExactDecimal) {
        if d.coefficient == 0 { if exponent == nil { exponent = 0 }; return }
        let current = exponent ?? d.exponent
        if d.exponent < current {
            let shift = Int(current - d.exponent)
            Self.scale(&positive, byPowerOfTen: shift)
            Self.scale(&negative, byPowerOfTen: shift)
            exponent = d.exponent
        } else {
            exponent = current
        }
        var term = Self.limbs(d.coefficient.magnitude)
        Self.scale(&term, byPowerOfTen: Int(d.exponent - exponent!))
        if d.coefficient < 0 { Self.add(&negative, term) } else { Self.add(&positive, term) }
    }

    public static func + (a: ExactSum, b: ExactDecimal) -> ExactSum { var s = a; s.add(b); return s }

    /// Sign and decimal digits of the value, and its exponent: value = ±digits × 10^exponent.
    private var parts: (negative: Bool, digits: String, exponent: Int) {
        let e = Int(exponent ?? 0)
        switch Self.compare(positive, negative) {
        case 0: return (false, "0", 0)
        case 1: return (false, Self.text(Self.subtract(positive, negative)), e)
        default: return (true, Self.text(Self.subtract(negative, positive)), e)
        }
    }

    /// Every digit, plain notation, no trailing zeros after the point (as `ExactDecimal.canonicalText`).
    public var canonicalText: String {
        let (neg, digits, e) = parts
        if digits == "0" { return "0" }
        var text = Self.place(digits, exponent: e)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return (neg ? "-" : "") + text
    }

    /// The value rounded half away from zero to `decimals` places (a currency's minor
    /// unit), always written with exactly that many decimals.
    public func rounded(toDecimals decimals: Int) -> String {
        var (neg, digits, e) = parts
        let cut = -e - decimals
        if cut > 0 {
            if cut > digits.count { digits = String(repeating: "0", count: cut - digits.count) + digits }
            let keep = String(digits.dropLast(cut))
            let next = digits[digits.index(digits.endIndex, offsetBy: -cut)]
            digits = next >= "5" ? Self.increment(keep.isEmpty ? "0" : keep) : (keep.isEmpty ? "0" : keep)
            e = -decimals
        }
        var text = Self.place(digits, exponent: e)
        let point = text.firstIndex(of: ".").map { text.distance(from: $0, to: text.endIndex) - 1 } ?? 0
        if decimals > point { text += (point == 0 && decimals > 0 ? "." : "") + String(repeating: "0", count: decimals - point) }
        let isZero = !text.contains { $0 >= "1" && $0 <= "9" }
        return (neg && !isZero ? "-" : "") + text
    }

    // MARK: Digits

    /// `digits × 10^exponent` in plain notation (trailing zeros kept).
    private static func place(_ digits: String, exponent e: Int) -> String {
        if e >= 0 { return digits == "0" ? "0" : digits + String(repeating: "0", count: e) }
        let scale = -e
        let padded = digits.count <= scale ? String(repeating: "0", count: scale - digits.count + 1) + digits : digits
        let split = padded.index(padded.endIndex, offsetBy: -scale)
        return String(padded[..<split]) + "." + String(padded[split...])
    }

    private static func increment(_ digits: String) -> String {
        var bytes = Array(digits.utf8)
        var i = bytes.count - 1
        while i >= 0 {
            if bytes[i] == UInt8(ascii: "9") { bytes[i] = UInt8(ascii: "0"); i -= 1 } else { bytes[i] += 1; break }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        return i < 0 ? "1" + text : text
    }

    // MARK: Magnitudes (little-endian base 10⁹ limbs)

    private static let base: UInt64 = 1_000_000_000

    private static func limbs(_ m: UInt128) -> [UInt32] {
        var out: [UInt32] = [], v = m
        while v > 0 { out.append(UInt32(v % UInt128(base))); v /= UInt128(base) }
        return out
    }

    private static func scale(_ a: inout [UInt32], byPowerOfTen n: Int) {
        guard !a.isEmpty, n > 0 else { return }
        var left = n
        while left >= 9 { a.insert(0, at: 0); left -= 9 }
        guard left > 0 else { return }
        var factor: UInt64 = 1
        for _ in 0..<left { factor *= 10 }
        var carry: UInt64 = 0
        for i in a.indices {
            let v = UInt64(a[i]) * factor + carry
            a[i] = UInt32(v % base); carry = v / base
        }
        while carry > 0 { a.append(UInt32(carry % base)); carry /= base }
    }

    private static func add(_ a: inout [UInt32], _ b: [UInt32]) {
        var carry: UInt64 = 0
        for i in 0..<max(a.count, b.count) {
            let v = (i < a.count ? UInt64(a[i]) : 0) + (i < b.count ? UInt64(b[i]) : 0) + carry
            if i < a.count { a[i] = UInt32(v % base) } else { a.append(UInt32(v % base)) }
            carry = v / base
        }
        if carry > 0 { a.append(UInt32(carry)) }
    }

    private static func trimmed(_ a: [UInt32]) -> [UInt32] {
        var a = a
        while a.last == 0 { a.removeLast() }
        return a
    }

    /// 1 if a > b, -1 if a < b, 0 if equal.
    private static func compare(_ a: [UInt32], _ b: [UInt32]) -> Int {
        let x = trimmed(a), y = trimmed(b)
        if x.count != y.count { return x.count > y.count ? 1 : -1 }
        for i in stride(from: x.count - 1, through: 0, by: -1) where x[i] != y[i] { return x[i] > y[i] ? 1 : -1 }
        return 0
    }

    /// a − b for a ≥ b.
    private static func subtract(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var out = a
        var borrow: Int64 = 0
        for i in out.indices {
            var v = Int64(out[i]) - (i < b.count ? Int64(b[i]) : 0) - borrow
            if v < 0 { v += Int64(base); borrow = 1 } else { borrow = 0 }
            out[i] = UInt32(v)
        }
        return trimmed(out)
    }

    private static func text(_ a: [UInt32]) -> String {
        let x = trimmed(a)
        guard let top = x.last else { return "0" }
        var s = String(top)
        for limb in x.dropLast().reversed() {
            let part = String(limb)
            s += String(repeating: "0", count: 9 - part.count) + part
        }
        return s
    }
}
