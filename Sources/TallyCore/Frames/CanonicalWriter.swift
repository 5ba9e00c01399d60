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
    /// The day number and `YYYY-MM-DDT` text of the last timestamp written (a frame's
    /// window start and end, and the frames a rater closes in turn, nearly always share it).
    private var lastDay = Int64.min
    private var lastDate: (UInt64, UInt64) = (0, 0)

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
    /// (Read through the UTF-8 view, which needs no copy of the string: `withUTF8` is
    /// mutating, and the copy it needs was a retain and a release per text.)
    mutating func string(_ s: String) {
        let copied = s.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            let bytes = UnsafeRawBufferPointer(utf8)
            guard PlainText.isPlain(bytes, asciiOnly: false) else { return false }
            quoted(bytes)
            return true
        } ?? false
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
            guard PlainText.isPlain(bytes, asciiOnly: true) else { return false }
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

    /// Bytes already in canonical form (a laid-out member's `,"key":`), copied inline.
    @inline(__always) mutating func copy(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard let source = bytes.baseAddress else { return }
        withTail(n) { Self.copyShort(to: UnsafeMutableRawPointer($0), from: source, n) }
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

    /// Counted, then written right to left in place as digit pairs.
    mutating func integer(_ i: Int64) {
        reserve(21)
        var at = count
        if i < 0 { base[at] = UInt8(ascii: "-"); at += 1 }
        let n = DigitPairs.count(i.magnitude)
        _ = DigitPairs.writeDigits(i.magnitude, endingAt: UnsafeMutableRawPointer(base + at + n))
        count = at + n
    }

    /// Money as its canonical text in a JSON string (never a JSON number), through
    /// `explanationDecimal` (plain values and zero written in place).
    mutating func decimal(_ d: ExactDecimal) {
        byte(UInt8(ascii: "\""))
        explanationDecimal(d)
        byte(UInt8(ascii: "\""))
    }

    /// A decimal's canonical text without quotes (inside a string), for the values
    /// `explanationDecimal` leaves to it (coefficients over 64 bits, exponents above 0 or
    /// below −30): `CanonicalJSON.writeDecimalText`'s bytes, placed in one piece.
    mutating func decimalText(_ d: ExactDecimal) {
        withUnsafeTemporaryAllocation(byteCount: DecimalText.scratchSize, alignment: 8) { scratch in
            let digits = scratch.baseAddress!
            guard let text = DecimalText(d, digits: digits) else { literalByte(UInt8(ascii: "0")); return }
            withTail(text.length) { text.write(from: digits, to: $0) }
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

    /// An ISO 8601 instant as a JSON string, written in place (`Timestamps.iso8601`'s text:
    /// FrameRenderingTests): the date from the last one's when the day is the same, the
    /// time of day and microseconds as digit pairs.
    mutating func timestamp(_ t: EventTime) {
        let (day, secondOfDay, fraction) = Timestamps.split(t)
        if day != lastDay {
            guard let date = Timestamps.datePrefix(ofDay: day) else {
                string(Timestamps.iso8601(t))  // years outside 0–9999: never a real window
                return
            }
            lastDate = date
            lastDay = day
        }
        reserve(32)
        let out = UnsafeMutableRawPointer(base + count)
        out.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
        out.storeBytes(of: lastDate.0, toByteOffset: 1, as: UInt64.self)
        out.storeBytes(of: lastDate.1, toByteOffset: 9, as: UInt64.self)  // 3 bytes of it; the rest is overwritten
        let hms = Int(secondOfDay)
        DigitPairs.write(hms / 3600, to: out + 12)
        out.storeBytes(of: UInt8(ascii: ":"), toByteOffset: 14, as: UInt8.self)
        DigitPairs.write(hms / 60 % 60, to: out + 15)
        out.storeBytes(of: UInt8(ascii: ":"), toByteOffset: 17, as: UInt8.self)
        DigitPairs.write(hms % 60, to: out + 18)
        var n = 20
        if fraction != 0 {
            let f = Int(fraction)
            out.storeBytes(of: UInt8(ascii: "."), toByteOffset: 20, as: UInt8.self)
            DigitPairs.write(f / 10_000, to: out + 21)
            DigitPairs.write(f / 100 % 100, to: out + 23)
            DigitPairs.write(f % 100, to: out + 25)
            n = 27
        }
        out.storeBytes(of: UInt8(ascii: "Z"), toByteOffset: n, as: UInt8.self)
        out.storeBytes(of: UInt8(ascii: "\""), toByteOffset: n + 1, as: UInt8.self)
        count += n + 2
    }

    /// A string's UTF-8 bytes as they are, unquoted and unescaped: input to a hash written
    /// in the buffer (`replaceWithQuotedDigestHex`), not JSON.
    mutating func text(_ s: String) {
        let copied: Void? = s.utf8.withContiguousStorageIfAvailable { copy(UnsafeRawBufferPointer($0)) }
        if copied == nil { for b in s.utf8 { literalByte(b) } }
    }

    /// A symbol's text as `text(symbols.string(symbol))` writes it: ASCII copied from the
    /// table, anything else through `String(decoding:)` (invalid UTF-8 as U+FFFD).
    mutating func text(_ symbol: Symbol, in symbols: SymbolTable) {
        let copied = symbols.withBytes(symbol) { bytes -> Bool in
            guard PlainText.isASCII(bytes) else { return false }
            copy(bytes)
            return true
        }
        if !copied { text(symbols.string(symbol)) }
    }

    /// Hashes the bytes from `start` to the end and puts in their place the hex digits of
    /// the digest's first `prefixBytes` bytes, in quotes (a frame id from its input).
    mutating func replaceWithQuotedDigestHex(from start: Int, prefixBytes: Int) {
        precondition(start <= count && prefixBytes <= 32)
        var h = SHA256()
        h.update(buffer: UnsafeRawBufferPointer(start: base + start, count: count - start))
        count = start
        withTail(2 * prefixBytes + 2) { out in
            out[0] = UInt8(ascii: "\"")
            h.writeHex(to: out + 1, prefixBytes: prefixBytes)
            out[2 * prefixBytes + 1] = UInt8(ascii: "\"")
        }
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
