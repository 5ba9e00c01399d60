import TallyCore
import Yams

/// A YAML node with its document path, so every error says where it happened. Shared by
/// the ruleset file and the service configuration (`package`): one unknown-key policy.
package struct YAMLCursor {
    package let node: Node
    package let path: String
    package let file: String
    /// For a mapping member: where its key is written (the line to point at for a name).
    package var keyLocation: String? = nil

    package init(node: Node, path: String, file: String, keyLocation: String? = nil) {
        self.node = node
        self.path = path
        self.file = file
        self.keyLocation = keyLocation
    }

    package var location: String { node.mark.map { "\(file):\($0.line):\($0.column)" } ?? file }

    package func error(_ message: String) -> RulesetFileError {
        RulesetFileError(problems: [.init(location: location, path: path.isEmpty ? "(document)" : path, message: message)])
    }

    /// The members of a mapping; rejects keys outside `allowed` (typos would otherwise
    /// silently drop a rule's setting).
    package func mapping(allowed: Set<String>? = nil) throws -> [(key: String, value: YAMLCursor)] {
        guard let mapping = node.mapping else { throw error("expected a mapping") }
        var result: [(key: String, value: YAMLCursor)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { throw error("mapping keys must be plain strings") }
            let child = YAMLCursor(node: value, path: path.isEmpty ? name : "\(path).\(name)", file: file,
                                   keyLocation: key.mark.map { "\(file):\($0.line):\($0.column)" })
            if let allowed, !allowed.contains(name) {
                // Located at the key itself: the value may start lines later.
                throw YAMLCursor(node: key, path: child.path, file: file).error("unknown key '\(name)' (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
            result.append((name, child))
        }
        return result
    }

    /// A YAML null: an unquoted `~`, `null` or nothing (the YAML core schema's spellings).
    package var isNull: Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    package func sequence() throws -> [YAMLCursor] {
        guard let sequence = node.sequence else { throw error("expected a list") }
        return sequence.enumerated().map { YAMLCursor(node: $0.element, path: "\(path)[\($0.offset)]", file: file) }
    }

    package func string() throws -> String {
        guard let scalar = node.scalar else { throw error("expected a scalar value") }
        return scalar.string
    }

    /// A decimal from the scalar's text (never through a binary float).
    package func decimal() throws -> ExactDecimal {
        let text = try string()
        guard let value = ExactDecimal(text) else { throw error("'\(text)' is not a decimal number") }
        return value
    }

    package func integer() throws -> Int {
        let text = try string()
        guard let value = Int(text) else { throw error("'\(text)' is not an integer") }
        return value
    }

    package func bool() throws -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error("'\(other)' is not true or false")
        }
    }

    package func time() throws -> EventTime {
        let text = try string()
        guard let value = RulesetTimestamp.parse(text) else {
            throw error("'\(text)' is not an ISO 8601 time (e.g. 2025-01-01T00:00:00Z or 2025-01-01)")
        }
        return value
    }

    package func choice<T: RawRepresentable>(_ type: T.Type) throws -> T where T.RawValue == String, T: CaseIterable {
        let text = try string()
        guard let value = T(rawValue: text) else {
            throw error("'\(text)' is not one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

/// ISO 8601 instants for rule starts and ends: `YYYY-MM-DD`, or with `THH:MM[:SS[.f…]]`
/// and `Z` or `±HH:MM`. A missing zone means UTC.
enum RulesetTimestamp {
    static func parse(_ text: String) -> EventTime? {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var v: Int64 = 0
            for c in b[from..<(from + count)] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let year = num(0, 4), let month = num(5, 2), let day = num(8, 2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var seconds = days(year, month, day) * 86_400
        var micros: Int64 = 0
        var i = 10
        if i < b.count && (b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: " ")) {
            guard let hour = num(i + 1, 2), b.count > i + 3, b[i + 3] == UInt8(ascii: ":"),
                  let minute = num(i + 4, 2), hour < 24, minute < 60 else { return nil }
            seconds += hour * 3600 + minute * 60
            i += 6
            if i < b.count && b[i] == UInt8(ascii: ":") {
                guard let second = num(i + 1, 2), second < 61 else { return nil }
                seconds += second
                i += 3
                if i < b.count && b[i] == UInt8(ascii: ".") {
                    i += 1
                    var scale: Int64 = 100_000
                    while i < b.count, b[i] >= 48, b[i] <= 57 {
                        micros += Int64(b[i] - 48) * scale
                        scale /= 10
                        i += 1
                    }
                }
            }
            if i < b.count {
                if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") { i += 1 } else {
                    guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"),
                          let oh = num(i + 1, 2), b.count > i + 3, b[i + 3] == UInt8(ascii: ":"),
                          let om = num(i + 4, 2) else { return nil }
                    let offset = oh * 3600 + om * 60
                    seconds -= b[i] == UInt8(ascii: "+") ? offset : -offset
                    i += 6
                }
            }
        }
        guard i == b.count else { return nil }
        return EventTime(micros: seconds * 1_000_000 + micros)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func days(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        return era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
    }
}
