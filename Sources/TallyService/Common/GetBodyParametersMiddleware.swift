import Foundation
import HTTPTypes
import Hummingbird

/// CloudKitty's v1 API (WSME) reads a GET's parameters from a JSON body as well as from the
/// query string, and its API tests (the tempest plugin) send them that way, e.g. `GET
/// …/hashmap/mappings/group` with `{"mapping_id": …}`. This middleware moves the scalar
/// members of a GET's JSON object body into the query string (a parameter in the query wins),
/// so every route reads its parameters in one place. Other bodies pass unchanged.
struct GetBodyParametersMiddleware: RouterMiddleware {
    typealias Context = TallyRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get, Self.mayHaveBody(request.headers) else { return try await next(request, context) }
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        guard buffer.readableBytes > 0,
              let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            return try await next(request, context)
        }
        let present = Set(request.uri.queryParameters.map { String($0.key) })
        var added: [String] = []
        for (key, value) in object.sorted(by: { $0.key < $1.key }) where !present.contains(key) {
            guard let text = Self.text(value) else { continue }
            added.append(Self.escape(key) + "=" + Self.escape(text))
        }
        guard !added.isEmpty else { return try await next(request, context) }
        var head = request.head
        let path = head.path ?? "/"
        head.path = path + (path.contains("?") ? "&" : "?") + added.joined(separator: "&")
        return try await next(Request(head: head, body: .init(buffer: buffer)), context)
    }

    static func mayHaveBody(_ headers: HTTPFields) -> Bool {
        if let length = headers[.contentLength] { return length != "0" }
        return headers[.transferEncoding] != nil
    }

    /// Strings, numbers and booleans as query text; nulls, arrays and objects are left out.
    static func text(_ value: Any) -> String? {
        switch value {
        case let s as String: return s
        case let b as Bool where type(of: value) == Bool.self: return b ? "true" : "false"
        case let n as NSNumber:
            // swift-corelibs-foundation parses JSON booleans as NSNumber of kind bool.
            if String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
            return n.stringValue
        default: return nil
        }
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
