/// Writes canonical JSON (see `CanonicalJSON`) straight to bytes: no tree, no per-object
/// key sort. The caller writes keys in canonical (byte) order, each followed by its value;
/// FrameEncodingTests and ExplanationEncodingTests hold the output equal to the tree's.
/// No closures: a closure capturing a frame copies it (a retain per member string).
struct CanonicalWriter {
    var bytes: [UInt8] = []
    /// Bit d is set while the object or array at nesting depth d has nothing in it yet;
    /// a bit stack, so nesting allocates nothing.
    private var firstBits: UInt64 = 0
    private var depth = 0

    init(capacity: Int = 2048) { bytes.reserveCapacity(capacity) }

    mutating func open() { bytes.append(UInt8(ascii: "{")); push() }
    mutating func close() { bytes.append(UInt8(ascii: "}")); depth -= 1 }
    mutating func openArray() { bytes.append(UInt8(ascii: "[")); push() }
    mutating func closeArray() { bytes.append(UInt8(ascii: "]")); depth -= 1 }

    /// The next member's key (a comma first unless it is the object's first member).
    mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// Before each array element.
    mutating func element() { separate() }

    mutating func string(_ s: String) { CanonicalJSON.writeString(s, into: &bytes) }
    /// The string, or null when absent.
    mutating func string(_ s: String?) { if let s { string(s) } else { null() } }
    mutating func strings(_ items: [String]) {
        openArray()
        for item in items { element(); string(item) }
        closeArray()
    }
    mutating func integer(_ i: Int64) { CanonicalJSON.writeInteger(i, into: &bytes) }
    /// Money as its canonical text in a JSON string (never a JSON number).
    mutating func decimal(_ d: ExactDecimal) { CanonicalJSON.writeDecimal(d, into: &bytes) }
    /// Raw text with nothing to escape (inside a string the caller opened with `raw("\"")`).
    mutating func raw(_ text: StaticString) { text.withUTF8Buffer { bytes.append(contentsOf: $0) } }
    /// A decimal's canonical text without quotes (inside a string).
    mutating func decimalText(_ d: ExactDecimal) { CanonicalJSON.writeDecimalText(d, into: &bytes) }
    mutating func null() { bytes.append(contentsOf: "null".utf8) }
    mutating func json(_ value: CanonicalJSON) { value.write(into: &bytes) }
    /// An object of tree values (a frame's groupby and metadata), keys sorted here.
    mutating func object(_ members: [String: CanonicalJSON]) { CanonicalJSON.writeObject(members, into: &bytes) }
    /// An ISO 8601 instant as a JSON string.
    mutating func timestamp(_ t: EventTime) {
        bytes.append(UInt8(ascii: "\""))
        Timestamps.writeISO8601(t, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    @inline(__always) private mutating func push() {
        precondition(depth < 64, "canonical writer nests at most 64 levels")
        firstBits |= 1 << UInt64(depth)
        depth += 1
    }

    @inline(__always) private mutating func separate() {
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if firstBits & bit != 0 { firstBits &= ~bit } else { bytes.append(UInt8(ascii: ",")) }
    }
}
