import Foundation
import TallyCore

/// One issued API token as stored: never the token itself, only its SHA-256, so a leaked
/// tokens file does not let anyone call the API.
public struct StoredToken: Sendable, Equatable {
    /// Short public handle for `tally tokens list|revoke` (not a secret).
    public var id: String
    public var name: String
    public var role: Principal.Role
    public var projects: [String]
    /// Lowercase hex SHA-256 of the token text.
    public var sha256: String
    public var createdAt: String
    /// Set by `tally tokens revoke`; a revoked token authenticates nobody.
    public var revokedAt: String?

    public var principal: Principal { Principal(name: name, role: role, projects: Set(projects)) }
}

/// The tokens file (`api.tokens_file`): a JSON array of `StoredToken`s, written whole to a
/// temporary file and renamed (a reader never sees half a file), mode 0600.
public struct TokenStore: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// Every stored token; an absent file is an empty store.
    public func load() throws -> [StoredToken] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let array = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw TokenStoreError("\(path): not a JSON array of tokens")
        }
        return try array.enumerated().map { index, object in
            func text(_ key: String) throws -> String {
                guard let value = object[key] as? String, !value.isEmpty else {
                    throw TokenStoreError("\(path): token \(index + 1) has no `\(key)`")
                }
                return value
            }
            guard let role = Principal.Role(rawValue: try text("role")) else {
                throw TokenStoreError("\(path): token \(index + 1) has an unknown role")
            }
            return StoredToken(id: try text("id"), name: try text("name"), role: role,
                               projects: object["projects"] as? [String] ?? [], sha256: try text("sha256"),
                               createdAt: try text("created_at"), revokedAt: object["revoked_at"] as? String)
        }
    }

    public func save(_ tokens: [StoredToken]) throws {
        let array: [[String: Any]] = tokens.map { token in
            var object: [String: Any] = ["id": token.id, "name": token.name, "role": token.role.rawValue,
                                         "projects": token.projects, "sha256": token.sha256, "created_at": token.createdAt]
            if let revoked = token.revokedAt { object["revoked_at"] = revoked }
            return object
        }
        let data = try JSONSerialization.data(withJSONObject: array, options: [.prettyPrinted, .sortedKeys])
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw TokenStoreError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw TokenStoreError("cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Issues a token: returns the token text (shown once) and stores only its hash.
    public func create(name: String?, role: Principal.Role, projects: [String], now: String) throws -> (token: String, stored: StoredToken) {
        if role == .reader && projects.isEmpty {
            throw TokenStoreError("a reader token needs at least one --project (it would see nothing)")
        }
        var tokens = try load()
        let secret = Self.randomHex(bytes: 32)
        var id = Self.randomHex(bytes: 4)
        while tokens.contains(where: { $0.id == id }) { id = Self.randomHex(bytes: 4) }
        let stored = StoredToken(id: id, name: name ?? "token-\(id)", role: role, projects: projects,
                                 sha256: Self.digest("tally_" + secret), createdAt: now, revokedAt: nil)
        tokens.append(stored)
        try save(tokens)
        return ("tally_" + secret, stored)
    }

    /// Revokes the token with `id` (kept in the file, marked, so the list shows it).
    public func revoke(id: String, now: String) throws -> StoredToken {
        var tokens = try load()
        guard let index = tokens.firstIndex(where: { $0.id == id }) else { throw TokenStoreError("no token with id '\(id)' in \(path)") }
        if tokens[index].revokedAt == nil { tokens[index].revokedAt = now }
        try save(tokens)
        return tokens[index]
    }

    public static func digest(_ token: String) -> String {
        var sha = SHA256()
        sha.update(token.utf8)
        return Hex.encode(sha.finalize())
    }

    /// Hex of `bytes` bytes from the system's CSPRNG (getrandom on Linux).
    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

public struct TokenStoreError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
