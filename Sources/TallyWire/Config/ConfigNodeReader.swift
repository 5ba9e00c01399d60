import TallyCore
import Yams

/// Reads typed values out of Yams nodes and records a `Problem` (with the node's line
/// and column) for anything that is not what the metrics format expects.
final class ConfigNodeReader {
    private(set) var problems: [MetricsConfigError.Problem] = []
    /// The metric being read, named in every problem.
    var metric: String?

    func report(_ field: String, at node: Node?, _ message: String) {
        problems.append(.init(metric: metric, field: field, line: node?.mark?.line,
                              column: node?.mark?.column, message: message))
    }

    /// The pairs of a mapping with string keys, rejecting duplicate keys.
    func mapping(_ node: Node, field: String) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            report(field, at: node, "expected a mapping, found \(kind(of: node))"); return nil
        }
        var seen = Set<String>()
        var pairs: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                report(field, at: keyNode, "mapping keys must be plain text"); continue
            }
            guard seen.insert(scalar.string).inserted else {
                report(field.isEmpty ? scalar.string : "\(field).\(scalar.string)", at: keyNode, "duplicate key"); continue
            }
            pairs.append((scalar.string, keyNode, value))
        }
        return pairs
    }

    func sequence(_ node: Node, field: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report(field, at: node, "expected a list, found \(kind(of: node))"); return nil
        }
        return Array(sequence)
    }

    /// A non-empty plain scalar's text (strings, and numbers as written).
    func text(_ node: Node, field: String) -> String? {
        guard case .scalar(let scalar) = node, node.null == nil else {
            report(field, at: node, "expected a value, found \(kind(of: node))"); return nil
        }
        guard !scalar.string.isEmpty else { report(field, at: node, "must not be empty"); return nil }
        return scalar.string
    }

    /// An exact decimal from its written text (`0.001` is exactly 1/1000). With
    /// `allowFraction`, `a/b` too (CloudKitty's `factor: 1/1048576`), divided to 28 digits.
    func decimal(_ node: Node, field: String, allowFraction: Bool = false) -> ExactDecimal? {
        guard let text = text(node, field: field) else { return nil }
        if allowFraction, let slash = text.firstIndex(of: "/") {
            let numerator = ExactDecimal(String(text[..<slash]).trimmingSpaces)
            let denominator = ExactDecimal(String(text[text.index(after: slash)...]).trimmingSpaces)
            guard let numerator, let denominator else {
                report(field, at: node, "'\(text)' is not a number or a fraction a/b"); return nil
            }
            guard !denominator.isZero else { report(field, at: node, "'\(text)' divides by zero"); return nil }
            return exactQuotient(numerator, denominator) ?? numerator.divided(by: denominator)
        }
        guard let value = ExactDecimal(text) else {
            report(field, at: node, "'\(text)' is not a decimal number" + (allowFraction ? " or a fraction a/b" : ""))
            return nil
        }
        return value
    }

    /// A non-negative span: an ISO 8601 duration without years or months (`PT15M`, `P7D`)
    /// or a whole number of seconds.
    func span(_ node: Node, field: String) -> TimeSpan? {
        guard let text = text(node, field: field) else { return nil }
        if let seconds = Int64(text), seconds >= 0, seconds <= 3_153_600_000 { return .seconds(seconds) }
        guard let duration = ISODuration(text), let span = duration.fixedSpan else {
            report(field, at: node, "'\(text)' is not a duration: use ISO 8601 like PT15M, PT1H or P7D "
                   + "(no years or months), or whole seconds")
            return nil
        }
        return span
    }

    func kind(of node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s): return node.null != nil ? "nothing" : "'\(s.string)'"
        }
    }
}

/// a / b exactly when the quotient is a terminating decimal (b's coefficient has no prime
/// factor but 2 and 5, as in 1/1048576), else nil. CloudKitty turns fractions into a float
/// first, which is exact for these denominators too, so both give the same digits.
func exactQuotient(_ a: ExactDecimal, _ b: ExactDecimal) -> ExactDecimal? {
    var rest = b.coefficient.magnitude, twos = 0, fives = 0
    while rest % 2 == 0 { rest /= 2; twos += 1 }
    while rest % 5 == 0 { rest /= 5; fives += 1 }
    guard rest == 1 else { return nil }
    // 1/b = 10^k / b × 10^-k, with 10^k / b = 2^(k-twos) × 5^(k-fives) an integer.
    let k = max(twos, fives)
    var multiplier: Int128 = 1
    for _ in 0..<(k - twos) { multiplier *= 2 }
    for _ in 0..<(k - fives) { multiplier *= 5 }
    let (product, overflow) = a.coefficient.multipliedReportingOverflow(by: multiplier)
    guard !overflow else { return nil }
    let coefficient = b.coefficient < 0 ? -product : product
    return ExactDecimal(coefficient: coefficient, exponent: a.exponent - b.exponent - Int32(k))
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
