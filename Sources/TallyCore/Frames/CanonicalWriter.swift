/// Writes canonical JSON (see `CanonicalJSON`) straight to bytes: no tree, no per-object
/// key sort. The caller writes keys in canonical (byte) order, each followed by its value;
/// FrameEncodingTests and ExplanationEncodingTests hold the output equal to the tree's.
///
/// The bytes live in a buffer this writer owns (noncopyable, freed in `deinit`), so an
/// append is a bounds check and a copy: an `[UInt8]` append also checks uniqueness each
/// time, which was most of a frame's encoding cost. No closures capture the writer or a
/// frame (a closure capturing a frame copied it, a retain per member string).
struct CanonicalWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0
    /// Bit d is set while the object or array at nesting depth d has nothing in it yet;
    /// a bit stack, so nesting allocates nothing.
    private var firstBits: UInt64 = 0
    private var depth = 0

    init(capacity: Int = 2048) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far.
    var bytes: [UInt8] { [UInt8](UnsafeBufferPointer(start: base, count: count)) }
    /// Lends the bytes written so far.
    borrowing func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Starts over, keeping the buffer: a frame buffer writes one frame after another.
    mutating func reset() { count = 0; firstBits = 0; depth = 0 }

    mutating func open() { byte(UInt8(ascii: "{")); push() }
    /// Continues an object whose brace and first members the caller wrote itself (a sealed
    /// frame's `content_hash`): the next member is written without a comma.
    mutating func continueObject() { push() }
    mutating func close() { byte(UInt8(ascii: "}")); depth -= 1 }
    mutating func openArray() { byte(UInt8(ascii: "[")); push() }
    mutating func closeArray() { byte(UInt8(ascii: "]")); depth -= 1 }

    /// The next member's key (a comma first unless it is the object's first member).
    /// One capacity check and an inline copy: a frame has ~45 keys, and a `memmove` call
    /// plus four checks per key cost more than the few bytes they move.
    mutating func key(_ key: StaticString) {
        separate()
        guard key.hasPointerRepresentation else {  // a one-scalar literal
            byte(UInt8(ascii: "\"")); raw(key); byte(UInt8(ascii: "\"")); byte(UInt8(ascii: ":"))
            return
        }
        let n = key.utf8CodeUnitCount
        withTail(n + 3) { out in
            out[0] = UInt8(ascii: "\"")
            Self.copyShort(to: UnsafeMutableRawPointer(out + 1), from: UnsafeRawPointer(key.utf8Start), n)
            out[n + 1] = UInt8(ascii: "\"")
            out[n + 2] = UInt8(ascii: ":")
        }
    }

    /// Before each array element.
    mutating func element() { separate() }

    /// A JSON string; texts with nothing to escape (nearly all) are copied in one go.
    mutating func string(_ s: String) {
        var s = s
        let copied = s.withUTF8 { utf8 -> Bool in
            for b in utf8 where b < 0x20 || b == 0x22 || b == 0x5C { return false }
            quoted(UnsafeRawBufferPointer(utf8))
            return true
        }
        if !copied {
            var escaped: [UInt8] = []
            CanonicalJSON.writeString(s, into: &escaped)
            append(escaped)
        }
    }

    /// An interned string, written as `string(symbols.string(symbol))` would write it but
    /// without the `String`: plain ASCII with nothing to escape (nearly every symbol) is
    /// copied from the table; anything else goes through `String(decoding:)`, so invalid
    /// UTF-8 becomes U+FFFD exactly as before.
    mutating func string(_ symbol: Symbol, in symbols: SymbolTable) {
        let copied = symbols.withBytes(symbol) { bytes -> Bool in
            for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C || b >= 0x80 { return false }
            quoted(bytes)
            return true
        }
        if !copied { string(symbols.string(symbol)) }
    }

    /// An interned string, or null for `Symbol.none`.
    mutating func optionalString(_ symbol: Symbol, in symbols: SymbolTable) {
        if symbol.isNone { null() } else { string(symbol, in: symbols) }
    }

    /// A metadata or groupby value: strings, numbers and nested JSON as strings of their
    /// text, booleans and null as themselves (absent is null).
    mutating func value(_ value: MetaValue, in symbols: SymbolTable) {
        switch value.kind {
        case .absent, .null: null()
        case .bool: raw(symbols.withBytes(value.text) { $0.elementsEqual("true".utf8) } ? "true" : "false")
        default: string(value.text, in: symbols)
        }
    }

    /// 32 lowercase hex digits of a 128-bit digest (high word first), in quotes.
    mutating func hexString(high: UInt64, low: UInt64) {
        reserve(34)
        base[count] = UInt8(ascii: "\"")
        withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { Hex.write($0, to: base + count + 1) }
        base[count + 33] = UInt8(ascii: "\"")
        count += 34
    }

    /// Bytes already in canonical form (a laid-out member's `"key":`).
    mutating func encoded(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        reserve(bytes.count)
        bytes.withUnsafeBufferPointer { (base + count).update(from: $0.baseAddress!, count: $0.count) }
        count += bytes.count
    }

    /// The next member of an object whose key the caller encoded (`"key":`).
    mutating func encodedKey(_ bytes: [UInt8]) {
        separate()
        encoded(bytes)
    }

    /// Room for `n` bytes at the end, written by the caller through `withTail`.
    mutating func withTail<R>(_ n: Int, _ body: (UnsafeMutablePointer<UInt8>) -> R) -> R {
        reserve(n)
        let r = body(base + count)
        count += n
        return r
    }

    /// The string, or null when absent.
    mutating func string(_ s: String?) { if let s { string(s) } else { null() } }
    mutating func strings(_ items: [String]) {
        openArray()
        for item in items { element(); string(item) }
        closeArray()
    }

    mutating func integer(_ i: Int64) {
        reserve(20)
        if i < 0 { byte(UInt8(ascii: "-")) }
        digits(UInt64(i.magnitude))
    }

    /// Money as its canonical text in a JSON string (never a JSON number). Through
    /// `explanationDecimal`, the same text: `decimalText` builds zero (a first revision's
    /// previous price) in a heap array.
    mutating func decimal(_ d: ExactDecimal) {
        byte(UInt8(ascii: "\""))
        explanationDecimal(d)
        byte(UInt8(ascii: "\""))
    }

    /// A decimal's canonical text without quotes (inside a string): see
    /// `CanonicalJSON.writeDecimalText`, which this matches (ExplanationEncodingTests).
    mutating func decimalText(_ d: ExactDecimal) {
        let magnitude = d.coefficient.magnitude
        // Plain prices: a 64-bit coefficient and a small exponent, written here;
        // anything else takes the general path.
        guard magnitude != 0, magnitude <= UInt128(UInt64.max), (-30...0).contains(d.exponent) else {
            var text: [UInt8] = []
            CanonicalJSON.writeDecimalText(d, into: &text)
            append(text)
            return
        }
        var m = UInt64(magnitude)
        var scale = Int(-d.exponent)
        while scale > 0 && m % 10 == 0 { m /= 10; scale -= 1 }  // normalize
        reserve(64)
        if d.coefficient < 0 { byte(UInt8(ascii: "-")) }
        let start = count
        digits(m)
        if scale == 0 { return }
        let n = count - start
        if n > scale {
            // ddd.ddd: move the last `scale` digits one place right for the point.
            let point = start + n - scale
            (base + point + 1).update(from: base + point, count: scale)
            base[point] = UInt8(ascii: ".")
            count += 1
        } else {
            // 0.00ddd: shift the digits right by the "0." and the leading zeros.
            let shift = 2 + scale - n
            (base + start + shift).update(from: base + start, count: n)
            base[start] = UInt8(ascii: "0")
            base[start + 1] = UInt8(ascii: ".")
            for k in 0..<(scale - n) { base[start + 2 + k] = UInt8(ascii: "0") }
            count += shift
        }
    }

    /// Raw text with nothing to escape (inside a string the caller opened with `raw("\"")`).
    mutating func raw(_ text: StaticString) {
        guard text.hasPointerRepresentation else {  // a one-scalar literal
            append(Array(String(text.unicodeScalar).utf8))
            return
        }
        let n = text.utf8CodeUnitCount
        withTail(n) { Self.copyShort(to: UnsafeMutableRawPointer($0), from: UnsafeRawPointer(text.utf8Start), n) }
    }

    mutating func null() { raw("null") }
    mutating func json(_ value: CanonicalJSON) {
        var tree: [UInt8] = []
        value.write(into: &tree)
        append(tree)
    }

    /// An object of tree values (a frame's groupby and metadata), keys sorted here.
    mutating func object(_ members: [String: CanonicalJSON]) {
        open()
        for name in CanonicalJSON.sortedKeys(members) {
            separate()
            string(name)
            byte(UInt8(ascii: ":"))
            switch members[name]! {
            case .string(let s): string(s)
            case .null: null()
            case .integer(let i): integer(i)
            case let other: json(other)
            }
        }
        close()
    }

    /// An ISO 8601 instant as a JSON string, written in place.
    mutating func timestamp(_ t: EventTime) {
        reserve(29)
        guard let n = Timestamps.fill(t, UnsafeMutableBufferPointer(start: base + count + 1, count: 27)) else {
            string(Timestamps.iso8601(t))  // years outside 0–9999: never a real window
            return
        }
        base[count] = UInt8(ascii: "\"")
        base[count + n + 1] = UInt8(ascii: "\"")
        count += n + 2
    }

    /// Hashes `{` + the bytes in `first` + the bytes from `resume` to the end (a frame's
    /// body around the `previous_hash` member), writes the digest's 64 hex digits at `at`
    /// (a placeholder) and returns them.
    mutating func fillContentHash(at: Int, body first: Range<Int>, _ resume: Int) -> String {
        precondition(at + 64 <= count && first.upperBound <= resume && resume <= count)
        var h = SHA256()
        h.update(byte: UInt8(ascii: "{"))
        h.update(buffer: UnsafeRawBufferPointer(start: base + first.lowerBound, count: first.count))
        h.update(buffer: UnsafeRawBufferPointer(start: base + resume, count: count - resume))
        h.writeHex(to: base + at)
        return String(decoding: UnsafeBufferPointer(start: base + at, count: 64), as: UTF8.self)
    }

    // MARK: - bytes

    /// `bytes` (nothing to escape) between quotes: one capacity check, and an inline copy
    /// for the short texts frames are made of (a `memmove` call costs more at these sizes).
    @inline(__always) private mutating func quoted(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        withTail(n + 2) { out in
            out[0] = UInt8(ascii: "\"")
            if let source = bytes.baseAddress { Self.copyShort(to: UnsafeMutableRawPointer(out + 1), from: source, n) }
            out[n + 1] = UInt8(ascii: "\"")
        }
    }

    @inline(__always) private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    @inline(__always) private mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    private mutating func append(_ bytes: [UInt8]) {
        reserve(bytes.count)
        bytes.withUnsafeBufferPointer { if let source = $0.baseAddress { (base + count).update(from: source, count: $0.count) } }
        count += bytes.count
    }

    /// Decimal digits of `v`, most significant first (room reserved by the caller).
    @inline(__always) private mutating func digits(_ v: UInt64) {
        var v = v, n = 0, probe = v
        repeat { n += 1; probe /= 10 } while probe > 0
        reserve(n)
        var at = count + n
        repeat { at -= 1; base[at] = UInt8(truncatingIfNeeded: v % 10) + 48; v /= 10 } while v > 0
        count += n
    }

    @inline(__always) private mutating func push() {
        precondition(depth < 64, "canonical writer nests at most 64 levels")
        firstBits |= 1 << UInt64(depth)
        depth += 1
    }

    @inline(__always) private mutating func separate() {
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if firstBits & bit != 0 { firstBits &= ~bit } else { byte(UInt8(ascii: ",")) }
    }
}
