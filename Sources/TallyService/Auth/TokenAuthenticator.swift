import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// `api.auth: token`: the caller is the principal of the bearer token in `Authorization:
/// Bearer T` (or `X-Auth-Token: T`, which keystone-style clients send). No token, an
/// unknown or a revoked one: 401, before any route runs (only `GET /`, the version
/// document, answers without a token). The tokens file is re-read when
/// it changes, so `tally tokens create|revoke` take effect without a restart.
struct TokenAuthMiddleware: RouterMiddleware {
    typealias Context = TallyRequestContext
    let tokens: TokenTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = Self.presentedToken(request) else {
            // The version document is public (as behind keystone), so clients can discover the API.
            if request.method == .get && request.uri.path == "/" { return try await next(request, context) }
            throw HTTPError(.unauthorized, message: "Authentication required: send Authorization: Bearer TOKEN.")
        }
        guard let principal = try tokens.principal(for: token) else {
            throw HTTPError(.unauthorized, message: "The token is unknown or revoked.")
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }

    static func presentedToken(_ request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingCharacters(in: .whitespaces)
                return token.isEmpty ? nil : token
            }
            return nil
        }
        if let name = HTTPField.Name("X-Auth-Token"), let token = request.headers[name], !token.isEmpty { return token }
        return nil
    }
}

/// The tokens file's hashes in memory, reloaded when the file's modification time or size
/// changes. Lookups compare SHA-256 digests, never token text.
final class TokenTable: Sendable {
    private struct Loaded { var stamp: String; var byDigest: [String: Principal] }
    let store: TokenStore
    private let loaded = Mutex<Loaded?>(nil)

    init(store: TokenStore) { self.store = store }

    func principal(for token: String) throws -> Principal? {
        let digest = TokenStore.digest(token)
        let stamp = Self.stamp(of: store.path)
        return try loaded.withLock { current -> Principal? in
            if current?.stamp != stamp {
                var table: [String: Principal] = [:]
                for stored in try store.load() where stored.revokedAt == nil { table[stored.sha256] = stored.principal }
                current = Loaded(stamp: stamp, byDigest: table)
            }
            return current?.byDigest[digest]
        }
    }

    private static func stamp(of path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "absent" }
        return "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec).\(info.st_size).\(info.st_ino)"
    }
}
