/// A malformed-JSON finding: what was wrong and at which byte of the scanned text.
struct JSONSyntaxError: Error, Sendable, CustomStringConvertible {
    var offset: Int
    var problem: String
    init(offset: Int, problem: String) { self.offset = offset; self.problem = problem }
    var description: String { "\(problem) at byte \(offset)" }
}

/// A strict, allocation-free JSON reader over borrowed bytes (RFC 8259, plus Python's
/// `NaN`/`Infinity`/`-Infinity` number tokens, which `json.dumps` writes and decoders
/// must then reject as non-finite volumes rather than as garbage).
///
/// The scanner is a cursor: callers walk objects with `beginObject`/`nextMember`,
/// arrays with `beginArray`/`nextElement`, and read or skip each value. Strings come
/// back as spans into the input; unescaping is separate (`JSONUnescaper`) and happens
/// only when a span has escapes. The bytes must outlive the scanner.
struct JSONScanner {
    let base: UnsafePointer<UInt8>
    let count: Int
    var position = 0
    /// True when the scanned JSON is itself the contents of a JSON string that has not
    /// been unescaped (Ceilometer's `oslo.message` read in place): its quotes are `\"`
    /// and its escapes are escaped again. Only the escapes a JSON encoder must write
    /// (`\"` and `\\`) are understood at the outer level; anything else is a syntax
    /// error, and the caller falls back to unescaping first.
    let quoteIsEscaped: Bool
    /// Where keys are checked for duplicates (the decoders' scanners); nil reads
    /// without the check (format sniffing, a second pass over checked bytes).
    var keys: DuplicateKeyDetector?

    /// Nesting limit, so hostile input cannot exhaust the stack in `skipValue`.
    static let maxDepth = 256

    init(_ bytes: UnsafeRawBufferPointer, quoteIsEscaped: Bool = false, keys: DuplicateKeyDetector? = nil) {
        self.keys = keys
        // An empty buffer may have no base address; point at a static byte instead.
        base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? JSONScanner.emptyBase
        count = bytes.count
        self.quoteIsEscaped = quoteIsEscaped
    }

    /// Whether a string starts at `position` (`"`, or `\"` when quotes are escaped).
    @inline(__always)
    func atQuote() -> Bool {
        quoteIsEscaped ? atQuote(EscapedJSONText.self) : atQuote(RawJSONText.self)
    }

    /// `atQuote()` for a scanner whose quoting is `Q`: the escaped quote is compared as one
    /// two-byte word.
    @inline(__always)
    func atQuote<Q: JSONQuoting>(_: Q.Type) -> Bool {
        guard Q.isEscaped else { return base[position] == UInt8(ascii: "\"") }
        return atQuote(at: position)
    }

    /// `\"` as a two-byte word loaded from memory (bytes 0x5C, 0x22), on either endianness.
    @inline(__always)
    static var escapedQuote: UInt16 { UInt16(littleEndian: 0x225C) }

    private static let emptyBase: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    var isAtEnd: Bool { position >= count }

    func bytes(_ span: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + span.lowerBound, count: span.count)
    }

    func fail(_ problem: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset ?? position, problem: problem)
    }

    /// Skips spaces, tabs and line breaks; only spaces when reading escaped JSON in place,
    /// where a raw tab or line break would be a control character inside a string.
    @inline(__always)
    mutating func skipWhitespace() {
        quoteIsEscaped ? skipWhitespace(EscapedJSONText.self) : skipWhitespace(RawJSONText.self)
    }

    @inline(__always)
    mutating func skipWhitespace<Q: JSONQuoting>(_: Q.Type) {
        while position < count {
            let c = base[position]
            guard c == 0x20 || !Q.isEscaped && (c == 0x0A || c == 0x0D || c == 0x09) else { return }
            position += 1
        }
    }

    /// The next non-whitespace byte, not consumed.
    @inline(__always)
    mutating func peek() throws(JSONSyntaxError) -> UInt8 {
        quoteIsEscaped ? try peek(EscapedJSONText.self) : try peek(RawJSONText.self)
    }

    @inline(__always)
    mutating func peek<Q: JSONQuoting>(_: Q.Type) throws(JSONSyntaxError) -> UInt8 {
        skipWhitespace(Q.self)
        guard position < count else { throw fail("unexpected end of input") }
        return base[position]
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: StaticString) throws(JSONSyntaxError) {
        quoteIsEscaped ? try expect(byte, what, EscapedJSONText.self) : try expect(byte, what, RawJSONText.self)
    }

    @inline(__always)
    mutating func expect<Q: JSONQuoting>(_ byte: UInt8, _ what: StaticString, _: Q.Type) throws(JSONSyntaxError) {
        guard try peek(Q.self) == byte else { throw unexpected(what) }
        position += 1
    }

    /// Requires that only whitespace remains.
    mutating func expectEnd() throws(JSONSyntaxError) {
        skipWhitespace()
        guard position == count else { throw fail("unexpected \(describeByte()) after the top-level value") }
    }

    /// "expected `what`, found …" at the scanner: out of line, so that the inlined token
    /// steps carry no string building.
    @inline(never)
    func unexpected(_ what: StaticString) -> JSONSyntaxError {
        fail("expected \(what), found \(describeByte())")
    }

    func describeByte() -> String {
        guard position < count else { return "end of input" }
        let c = base[position]
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x" + String(c, radix: 16)
    }

    // MARK: Containers
    //
    // Each reading method comes twice: generic over the text's quoting `Q` (the decoders'
    // hot loops, specialised once per quoting, so no quote check branches on
    // `quoteIsEscaped`), and without it for everyone else, choosing by the flag.

    mutating func beginObject() throws(JSONSyntaxError) {
        quoteIsEscaped ? try beginObject(EscapedJSONText.self) : try beginObject(RawJSONText.self)
    }

    @inline(__always)
    mutating func beginObject<Q: JSONQuoting>(_: Q.Type) throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "{"), "'{'", Q.self)
        keys?.enterObject()
    }

    mutating func beginArray() throws(JSONSyntaxError) { try expect(UInt8(ascii: "["), "'['") }

    /// The next member's key, with the scanner left at its value; nil after the closing
    /// brace. `first` must start true for each object.
    @inline(__always)
    mutating func nextMember(_ first: inout Bool) throws(JSONSyntaxError) -> JSONStringSpan? {
        quoteIsEscaped ? try nextMember(&first, EscapedJSONText.self) : try nextMember(&first, RawJSONText.self)
    }

    ///
    /// Python's `json.dumps` (Ceilometer's encoder) separates members with `", "` and keys
    /// from values with `": "`: those are stepped over with one compare each, and anything
    /// else takes the general path (whitespace, the closing brace, errors).
    @inline(__always)
    mutating func nextMember<Q: JSONQuoting>(_ first: inout Bool, _: Q.Type) throws(JSONSyntaxError) -> JSONStringSpan? {
        if !first && position + 2 < count && loadPair(at: position) == Self.commaSpace
            && (Q.isEscaped ? atQuote(at: position + 2) : base[position + 2] == UInt8(ascii: "\"")) {
            position += 2
        } else {
            var c = try peek(Q.self)
            if c == UInt8(ascii: "}") {
                position += 1
                keys?.leaveObject()
                return nil
            }
            if !first {
                guard c == UInt8(ascii: ",") else { throw unexpected("',' or '}' in object") }
                position += 1
                c = try peek(Q.self)
            }
            guard atQuote(Q.self) else { throw unexpected("a string key") }
            first = false
        }
        let key = try readString(at: Q.self)
        try keys?.note(key, in: self)
        if position + 1 < count && loadPair(at: position) == Self.colonSpace {
            position += 2
        } else {
            try expect(UInt8(ascii: ":"), "':' after object key", Q.self)
        }
        skipWhitespace(Q.self)
        return key
    }

    /// The two bytes at `offset` as one word, as `escapedQuote`, `commaSpace` and
    /// `colonSpace` spell them. `offset + 1` must be inside the input.
    @inline(__always)
    func loadPair(at offset: Int) -> UInt16 {
        UnsafeRawPointer(base + offset).loadUnaligned(as: UInt16.self)
    }

    /// Whether `\"` starts at `offset` (which must leave room for two bytes).
    @inline(__always)
    func atQuote(at offset: Int) -> Bool { offset + 1 < count && loadPair(at: offset) == Self.escapedQuote }

    /// `, ` and `: ` as two-byte words loaded from memory, on either endianness.
    @inline(__always)
    static var commaSpace: UInt16 { UInt16(littleEndian: 0x202C) }
    @inline(__always)
    static var colonSpace: UInt16 { UInt16(littleEndian: 0x203A) }

    /// True when another element follows (scanner at it); false after the closing bracket.
    @inline(__always)
    mutating func nextElement(_ first: inout Bool) throws(JSONSyntaxError) -> Bool {
        quoteIsEscaped ? try nextElement(&first, EscapedJSONText.self) : try nextElement(&first, RawJSONText.self)
    }

    @inline(__always)
    mutating func nextElement<Q: JSONQuoting>(_ first: inout Bool, _: Q.Type) throws(JSONSyntaxError) -> Bool {
        let c = try peek(Q.self)
        if c == UInt8(ascii: "]") {
            position += 1
            return false
        }
        if !first {
            guard c == UInt8(ascii: ",") else { throw unexpected("',' or ']' in array") }
            position += 1
            _ = try peek(Q.self)
        }
        first = false
        return true
    }

    // MARK: Values

    /// What kind of value starts at the next non-whitespace byte.
    @inline(__always)
    mutating func peekKind() throws(JSONSyntaxError) -> JSONValueKind {
        quoteIsEscaped ? try peekKind(EscapedJSONText.self) : try peekKind(RawJSONText.self)
    }

    @inline(__always)
    mutating func peekKind<Q: JSONQuoting>(_: Q.Type) throws(JSONSyntaxError) -> JSONValueKind {
        switch try peek(Q.self) {
        case UInt8(ascii: "\"") where !Q.isEscaped: return .string
        case UInt8(ascii: "\\") where atQuote(Q.self): return .string
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "N"), UInt8(ascii: "I"):
            return .number
        default: throw unexpected("a JSON value")
        }
    }

    /// Consumes `true` or `false`.
    mutating func readBool() throws(JSONSyntaxError) -> Bool {
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        throw fail("invalid literal")
    }

    mutating func readNull() throws(JSONSyntaxError) {
        guard matchLiteral("null") else { throw fail("invalid literal") }
    }

    /// Consumes `literal` if the input continues with it.
    @inline(__always)
    mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard position + n <= count else { return false }
        let p = literal.utf8Start
        for i in 0..<n where base[position + i] != p[i] { return false }
        position += n
        return true
    }

    /// Skips one value of any kind, checking its syntax. Scalars are handled inline;
    /// containers recurse through `skipContainer`.
    @inline(__always)
    mutating func skipValue(depth: Int = 0) throws(JSONSyntaxError) {
        quoteIsEscaped ? try skipValue(EscapedJSONText.self, depth: depth) : try skipValue(RawJSONText.self, depth: depth)
    }

    @inline(__always)
    mutating func skipValue<Q: JSONQuoting>(_: Q.Type, depth: Int = 0) throws(JSONSyntaxError) {
        // Most skipped values are strings right at the scanner (after `": "`): read them
        // without classifying first.
        if position < count && atQuote(Q.self) {
            _ = try readString(at: Q.self)
            return
        }
        switch try peekKind(Q.self) {
        case .string: _ = try readString(at: Q.self)
        case .number: _ = try readNumber(Q.self)
        case .bool: _ = try readBool()
        case .null: try readNull()
        case .object, .array: try skipContainer(Q.self, depth: depth)
        }
    }

    @inline(never)
    private mutating func skipContainer<Q: JSONQuoting>(_: Q.Type, depth: Int) throws(JSONSyntaxError) {
        guard depth < JSONScanner.maxDepth else { throw fail("nesting deeper than \(JSONScanner.maxDepth)") }
        var first = true
        if base[position] == UInt8(ascii: "{") {
            position += 1
            keys?.enterObject()
            while try nextMember(&first, Q.self) != nil { try skipValue(Q.self, depth: depth + 1) }
        } else {
            position += 1
            while try nextElement(&first, Q.self) { try skipValue(Q.self, depth: depth + 1) }
        }
    }
}

/// How the scanned text spells JSON's quotes, as a type: the decoders' hot loops are
/// generic over it, so each is compiled once for plain JSON and once for JSON read in
/// place inside a string (`\"`), and the quote checks at every token are constants.
/// A scanner must be read with the quoting its `quoteIsEscaped` says.
protocol JSONQuoting {
    /// True for `\"`, false for `"`.
    static var isEscaped: Bool { get }
}

/// JSON as written: quotes are `"`.
enum RawJSONText: JSONQuoting {
    @inline(__always) static var isEscaped: Bool { false }
}

/// JSON inside a JSON string, read without unescaping (Ceilometer's `oslo.message`).
enum EscapedJSONText: JSONQuoting {
    @inline(__always) static var isEscaped: Bool { true }
}

/// The kinds of JSON value, as seen from their first byte.
enum JSONValueKind: Equatable {
    case string, number, object, array, bool, null

    var name: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .object: "an object"
        case .array: "an array"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}
