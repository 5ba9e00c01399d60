/// Little binary writer and reader for fold snapshots: fixed-width little-endian
/// integers, length-prefixed UTF-8 strings, decimals as coefficient and exponent.

struct SnapshotWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    mutating func i64(_ v: Int64) {
        var x = UInt64(bitPattern: v)
        for _ in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: x)); x >>= 8 }
    }
    mutating func int(_ v: Int) { i64(Int64(v)) }
    mutating func string(_ s: String) {
        let utf8 = s.utf8
        int(utf8.count)
        bytes.append(contentsOf: utf8)
    }
    mutating func time(_ t: EventTime) { i64(t.micros) }
    mutating func decimal(_ d: ExactDecimal) {
        i64(Int64(truncatingIfNeeded: d.coefficient))
        i64(Int64(truncatingIfNeeded: d.coefficient >> 64))
        i64(Int64(d.exponent))
    }
    mutating func optional<T>(_ v: T?, _ write: (inout SnapshotWriter, T) -> Void) {
        guard let v else { return bool(false) }
        bool(true)
        write(&self, v)
    }
    mutating func array<T>(_ items: [T], _ write: (inout SnapshotWriter, T) -> Void) {
        int(items.count)
        for item in items { write(&self, item) }
    }
}

/// Why a snapshot could not be read.
public struct RuleLogSnapshotError: Error, Sendable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { "rule log snapshot, byte \(offset): \(message)" }
}

struct SnapshotReader {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ message: String) -> RuleLogSnapshotError { RuleLogSnapshotError(offset: position, message: message) }

    mutating func u8() throws(RuleLogSnapshotError) -> UInt8 {
        guard position < bytes.count else { throw fail("unexpected end") }
        defer { position += 1 }
        return bytes[position]
    }
    mutating func bool() throws(RuleLogSnapshotError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        default: throw fail("not a boolean")
        }
    }
    mutating func i64() throws(RuleLogSnapshotError) -> Int64 {
        guard position + 8 <= bytes.count else { throw fail("unexpected end") }
        var x: UInt64 = 0
        for i in (0..<8).reversed() { x = x << 8 | UInt64(bytes[position + i]) }
        position += 8
        return Int64(bitPattern: x)
    }
    mutating func int() throws(RuleLogSnapshotError) -> Int {
        let v = try i64()
        guard let i = Int(exactly: v) else { throw fail("integer out of range") }
        return i
    }
    mutating func count() throws(RuleLogSnapshotError) -> Int {
        let n = try int()
        guard n >= 0, n <= bytes.count - position else { throw fail("bad length \(n)") }
        return n
    }
    mutating func string() throws(RuleLogSnapshotError) -> String {
        let n = try count()
        defer { position += n }
        return String(decoding: bytes[position..<(position + n)], as: UTF8.self)
    }
    mutating func time() throws(RuleLogSnapshotError) -> EventTime { EventTime(micros: try i64()) }
    mutating func decimal() throws(RuleLogSnapshotError) -> ExactDecimal {
        let low = UInt64(bitPattern: try i64()), high = try i64()
        let exponent = try i64()
        guard let e = Int32(exactly: exponent) else { throw fail("decimal exponent out of range") }
        return ExactDecimal(coefficient: Int128(high) << 64 | Int128(low), exponent: e)
    }
    mutating func optional<T>(_ read: (inout SnapshotReader) throws(RuleLogSnapshotError) -> T) throws(RuleLogSnapshotError) -> T? {
        try bool() ? try read(&self) : nil
    }
    mutating func array<T>(_ read: (inout SnapshotReader) throws(RuleLogSnapshotError) -> T) throws(RuleLogSnapshotError) -> [T] {
        let n = try int()
        guard n >= 0, n <= bytes.count - position else { throw fail("bad count \(n)") }
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try read(&self)) }
        return out
    }
}
