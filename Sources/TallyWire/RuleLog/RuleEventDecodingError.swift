import TallyCore

/// Why bytes are not a rule event: the member (a path such as `change.cost`) and what
/// is wrong with it.
public struct RuleEventDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Dotted path of the offending member; "(document)" for the text as a whole.
    public var field: String
    public var message: String

    public init(field: String, message: String) { self.field = field; self.message = message }

    public var description: String { "\(field): \(message)" }
}

/// Reads the members of one JSON object, naming each by its path in errors and
/// refusing members it was not asked for (they would not survive re-encoding).
struct JSONMembers {
    let members: [String: CanonicalJSON]
    let path: String
    /// Keys read so far (a list: a dozen short keys, cheaper to scan than to hash).
    private(set) var used: [String] = []

    init(_ value: CanonicalJSON, path: String) throws(RuleEventDecodingError) {
        guard case .object(let members) = value else {
            throw RuleEventDecodingError(field: path.isEmpty ? "(document)" : path, message: "expected an object")
        }
        self.members = members
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ key: String, _ message: String) -> RuleEventDecodingError {
        RuleEventDecodingError(field: name(key), message: message)
    }

    /// The member, nil when absent or null.
    mutating func optional(_ key: String) -> CanonicalJSON? {
        used.append(key)
        guard let value = members[key] else { return nil }
        if case .null = value { return nil }
        return value
    }

    mutating func required(_ key: String) throws(RuleEventDecodingError) -> CanonicalJSON {
        guard let value = optional(key) else { throw fail(key, "missing") }
        return value
    }

    mutating func string(_ key: String) throws(RuleEventDecodingError) -> String {
        guard case .string(let s) = try required(key) else { throw fail(key, "expected a string") }
        return s
    }

    mutating func optionalString(_ key: String) throws(RuleEventDecodingError) -> String? {
        guard let value = optional(key) else { return nil }
        guard case .string(let s) = value else { throw fail(key, "expected a string") }
        return s
    }

    mutating func bool(_ key: String, default fallback: Bool) throws(RuleEventDecodingError) -> Bool {
        guard let value = optional(key) else { return fallback }
        guard case .bool(let b) = value else { throw fail(key, "expected true or false") }
        return b
    }

    mutating func integer(_ key: String) throws(RuleEventDecodingError) -> Int64 {
        guard case .integer(let i) = try required(key) else { throw fail(key, "expected an integer") }
        return i
    }

    mutating func decimal(_ key: String) throws(RuleEventDecodingError) -> ExactDecimal {
        let text = try string(key)
        guard let d = ExactDecimal(text) else { throw fail(key, "'\(text)' is not a decimal number") }
        return d
    }

    mutating func optionalDecimal(_ key: String) throws(RuleEventDecodingError) -> ExactDecimal? {
        guard let text = try optionalString(key) else { return nil }
        guard let d = ExactDecimal(text) else { throw fail(key, "'\(text)' is not a decimal number") }
        return d
    }

    mutating func time(_ key: String) throws(RuleEventDecodingError) -> EventTime {
        try Self.parseTime(try string(key), name(key))
    }

    mutating func optionalTime(_ key: String) throws(RuleEventDecodingError) -> EventTime? {
        guard let text = try optionalString(key) else { return nil }
        return try Self.parseTime(text, name(key))
    }

    mutating func choice<E: RawRepresentable>(_ key: String, _: E.Type) throws(RuleEventDecodingError) -> E where E.RawValue == String {
        let text = try string(key)
        guard let value = E(rawValue: text) else { throw fail(key, "unknown value '\(text)'") }
        return value
    }

    mutating func array(_ key: String) throws(RuleEventDecodingError) -> [CanonicalJSON] {
        guard case .array(let items) = try required(key) else { throw fail(key, "expected an array") }
        return items
    }

    mutating func object(_ key: String) throws(RuleEventDecodingError) -> JSONMembers {
        try JSONMembers(try required(key), path: name(key))
    }

    /// Refuses members that were never read.
    func finish() throws(RuleEventDecodingError) {
        if let extra = members.keys.filter({ !used.contains($0) }).sorted().first {
            throw fail(extra, "unknown member")
        }
    }

    static func parseTime(_ text: String, _ field: String) throws(RuleEventDecodingError) -> EventTime {
        do { return try TimestampParser.parse(text) } catch {
            throw RuleEventDecodingError(field: field, message: "'\(text)' is not an ISO 8601 time: \(error)")
        }
    }
}
