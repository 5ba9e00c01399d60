import Foundation
import Hummingbird
import TallyCore

/// An error answered in CloudKitty's (WSME) shape: `{"faultcode":"Client","faultstring":…,
/// "debuginfo":null}`, which python-cloudkittyclient prints as the message.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = CanonicalJSON.object([
            "faultcode": .string(status.code >= 500 ? "Server" : "Client"),
            "faultstring": .string(message), "debuginfo": .null,
        ])
        return Response.json(body.text, status: status)
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }

    /// What a rejection by the rule-log fold means to an API caller: a clash is CloudKitty's
    /// 409; a date rule, an invalid rule or a declaration in use is the caller's 400.
    static func from(_ rejection: RuleEventRejection) -> APIError {
        switch rejection.code {
        case .duplicate, .staleHead, .duplicateEvent: return APIError(.conflict, rejection.message)
        case .unknownRule, .unknownGroup, .unknownService, .unknownField: return APIError(.notFound, rejection.message)
        default: return APIError(.badRequest, "\(rejection.code.rawValue): \(rejection.message)")
        }
    }
}

/// A JSON request body and its members, with errors naming the member.
struct JSONBody {
    let members: [String: Any]

    static func read(_ request: Request) async throws -> JSONBody {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        let bytes = Data(buffer.readableBytesView)
        if bytes.isEmpty { return JSONBody(members: [:]) }
        guard let object = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]) as? [String: Any] else {
            throw APIError.badRequest("the request body is not a JSON object")
        }
        return JSONBody(members: object)
    }

    func isNull(_ key: String) -> Bool { members[key] == nil || members[key] is NSNull }

    func string(_ key: String) throws -> String? {
        guard !isNull(key) else { return nil }
        guard let text = members[key] as? String else { throw APIError.badRequest("`\(key)` must be a string") }
        return text
    }

    func required(_ key: String) throws -> String {
        guard let text = try string(key), !text.isEmpty else { throw APIError.badRequest("`\(key)` is required") }
        return text
    }

    /// A decimal given as a JSON string or number (the client sends costs as floats; a
    /// float's shortest text is the decimal the user typed, e.g. 0.1 → "0.1").
    func decimal(_ key: String) throws -> ExactDecimal? {
        guard !isNull(key) else { return nil }
        let text: String
        if let s = members[key] as? String { text = s }
        else if let n = members[key] as? NSNumber {
            let d = n.doubleValue
            text = d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
        } else { throw APIError.badRequest("`\(key)` must be a decimal number") }
        guard let value = ExactDecimal(text) else { throw APIError.badRequest("`\(key)` '\(text)' is not a decimal number") }
        return value
    }

    func bool(_ key: String) throws -> Bool? {
        guard !isNull(key) else { return nil }
        if let b = members[key] as? Bool { return b }
        if let s = members[key] as? String, let b = Bool(s.lowercased()) { return b }
        throw APIError.badRequest("`\(key)` must be true or false")
    }

    func integer(_ key: String) throws -> Int? {
        guard !isNull(key) else { return nil }
        if let n = members[key] as? Int { return n }
        if let s = members[key] as? String, let n = Int(s) { return n }
        throw APIError.badRequest("`\(key)` must be an integer")
    }
}

extension Request {
    /// `path` as an absolute URL on the host the caller addressed (keystoneauth follows a
    /// redirect only to an absolute Location).
    func absolute(_ path: String) -> String {
        head.authority.map { "http://\($0)\(path)" } ?? path
    }

    /// A query parameter, nil when absent or empty.
    func query(_ name: String) -> String? {
        guard let value = uri.queryParameters[name[...]], !value.isEmpty else { return nil }
        return String(value)
    }

    /// A boolean query parameter (`true`/`false`, any case; `1`/`0`).
    func queryFlag(_ name: String) throws -> Bool? {
        guard let text = query(name) else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw APIError.badRequest("query parameter `\(name)` must be true or false, not '\(text)'")
        }
    }
}
