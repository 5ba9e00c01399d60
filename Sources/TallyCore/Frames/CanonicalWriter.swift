/// Writes canonical JSON (see `CanonicalJSON`) straight to bytes, member by member: no
/// tree, no per-object key sort. The caller supplies keys in canonical (byte) order;
/// FrameEncodingTests and ExplanationEncodingTests hold the output equal to the tree's.
struct CanonicalWriter {
    var bytes: [UInt8] = []
    /// Bit d is set while the object at nesting depth d has no member yet (arrays and
    /// objects share the stack); a bit stack, so nesting allocates nothing.
    private var firstBits: UInt64 = 0
    private var depth = 0

    init(capacity: Int = 2048) { bytes.reserveCapacity(capacity) }

    mutating func open() { bytes.append(UInt8(ascii: "{")); push() }
    mutating func close() { bytes.append(UInt8(ascii: "}")); depth -= 1 }

    mutating func member(_ key: StaticString, _ value: (inout CanonicalWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        value(&self)
    }

    mutating func array<C: Collection>(_ items: C, _ element: (inout CanonicalWriter, C.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        push()
        for item in items { separate(); element(&self, item) }
        depth -= 1
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func string(_ s: String) { CanonicalJSON.writeString(s, into: &bytes) }
    mutating func integer(_ i: Int64) { CanonicalJSON.writeInteger(i, into: &bytes) }
    /// Money as its canonical text in a JSON string (never a JSON number).
    mutating func decimal(_ d: ExactDecimal) { CanonicalJSON.writeDecimal(d, into: &bytes) }
    mutating func null() { bytes.append(contentsOf: "null".utf8) }
    mutating func json(_ value: CanonicalJSON) { value.write(into: &bytes) }

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
