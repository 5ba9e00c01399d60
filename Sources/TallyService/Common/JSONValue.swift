import TallyAudit
import TallyCore

/// JSON as the API writes it: object members in the order given (CloudKitty's documents
/// read naturally that way) and numbers as exact decimal text, never through a Double.
indirect enum JSONValue {
    case null
    case bool(Bool)
    /// An exact decimal written as a JSON number (v2 quantities and prices).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Already-encoded JSON (a frame, verbatim as the rater wrote it).
    case raw(String)
    case object([(String, JSONValue)])

    static func decimal(_ sum: ExactSum) -> JSONValue { .number(sum.canonicalText) }
    static func decimal(_ value: ExactDecimal) -> JSONValue { .number(value.canonicalText) }
    static func integer(_ value: Int) -> JSONValue { .number(String(value)) }
    static func strings(_ members: [String: String]) -> JSONValue {
        .object(members.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }

    var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let text), .raw(let text): out += text
        case .string(let text): Self.quote(text, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                Self.quote(key, into: &out)
                out += ":"
                value.write(into: &out)
            }
            out += "}"
        }
    }

    static func quote(_ text: String, into out: inout String) { out += CanonicalJSON.quoted(text) }
}
