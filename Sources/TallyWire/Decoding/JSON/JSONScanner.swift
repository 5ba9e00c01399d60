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
        guard quoteIsEscaped else { return base[position] == UInt8(ascii: "\"") }
        return base[position] == UInt8(ascii: "\\") && position + 1 < count && base[position + 1] == UInt8(ascii: "\"")
    }

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
        while position < count {
            let c = base[position]
            guard c == 0x20 || (c == 0x0A || c == 0x0D || c == 0x09) && !quoteIsEscaped else { return }
            position += 1
        }
    }

    /// The next non-whitespace byte, not consumed.
    @inline(__always)
    mutating func peek() throws(JSONSyntaxError) -> UInt8 {
        skipWhitespace()
        guard position < count else { throw fail("unexpected end of input") }
        return base[position]
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: StaticString) throws(JSONSyntaxError) {
        guard try peek() == byte else { throw fail("expected \(what), found \(describeByte())") }
        position += 1
    }

    /// Requires that only whitespace remains.
    mutating func expectEnd() throws(JSONSyntaxError) {
        skipWhitespace()
        guard position == count else { throw fail("unexpected \(describeByte()) after the top-level value") }
    }

    func describeByte() -> String {
        guard position < count else { return "end of input" }
        let c = base[position]
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x" + String(c, radix: 16)
    }

    // MARK: Containers

    mutating func beginObject() throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "{"), "'{'")
        keys?.enterObject()
    }
    mutating func beginArray() throws(JSONSyntaxError) { try expect(UInt8(ascii: "["), "'['") }

    /// The next member's key, with the scanner left at its value; nil after the closing
    /// brace. `first` must start true for each object.
    @inline(__always)
    mutating func nextMember(_ first: inout Bool) throws(JSONSyntaxError) -> JSONStringSpan? {
        var c = try peek()
        if c == UInt8(ascii: "}") {
            position += 1
            keys?.leaveObject()
            return nil
        }
        if !first {
            guard c == UInt8(ascii: ",") else { throw fail("expected ',' or '}' in object, found \(describeByte())") }
            position += 1
            c = try peek()
        }
        guard atQuote() else { throw fail("expected a string key, found \(describeByte())") }
        first = false
        let key = try readString()
        try keys?.note(key, in: self)
        try expect(UInt8(ascii: ":"), "':' after object key")
        skipWhitespace()
        return key
    }

    /// True when another element follows (scanner at it); false after the closing bracket.
    @inline(__always)
    mutating func nextElement(_ first: inout Bool) throws(JSONSyntaxError) -> Bool {
        let c = try peek()
        if c == UInt8(ascii: "]") {
            position += 1
            return false
        }
        if !first {
            guard c == UInt8(ascii: ",") else { throw fail("expected ',' or ']' in array, found \(describeByte())") }
            position += 1
            _ = try peek()
        }
        first = false
        return true
    }

    // MARK: Values

    /// What kind of value starts at the next non-whitespace byte.
    @inline(__always)
    mutating func peekKind() throws(JSONSyntaxError) -> JSONValueKind {
        switch try peek() {
        case UInt8(ascii: "\"") where !quoteIsEscaped: return .string
        case UInt8(ascii: "\\") where atQuote(): return .string
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "N"), UInt8(ascii: "I"):
            return .number
        default: throw fail("expected a JSON value, found \(describeByte())")
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
        // Most skipped values are strings right at the scanner (after `": "`): read them
        // without classifying first.
        if position < count && atQuote() {
            _ = try readString()
            return
        }
        switch try peekKind() {
        case .string: _ = try readString()
        case .number: _ = try readNumber()
        case .bool: _ = try readBool()
        case .null: try readNull()
        case .object, .array: try skipContainer(depth: depth)
        }
    }

    private mutating func skipContainer(depth: Int) throws(JSONSyntaxError) {
        guard depth < JSONScanner.maxDepth else { throw fail("nesting deeper than \(JSONScanner.maxDepth)") }
        var first = true
        if base[position] == UInt8(ascii: "{") {
            position += 1
            keys?.enterObject()
            while try nextMember(&first) != nil { try skipValue(depth: depth + 1) }
        } else {
            position += 1
            while try nextElement(&first) { try skipValue(depth: depth + 1) }
        }
    }
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
