import Foundation
import Testing
@testable import TallyService

/// The tokens file keeps SHA-256 digests only; revoked tokens stay listed but authenticate nobody.
@Suite struct TokenStoreTests {
    @Test func theDigestIsSHA256OfTheTokenText() {
        #expect(TokenStore.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func createdTokensAreStoredHashedAndRevocable() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)/tokens.json").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = TokenStore(path: path)
        let (token, stored) = try store.create(name: "ops", role: .reader, projects: ["aurora", "borealis"], now: "2026-12-05T00:00:00Z")
        #expect(token.hasPrefix("tally_") && token.count == 70 && stored.id.count == 8)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains(token) && text.contains(TokenStore.digest(token)))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let table = TokenTable(store: store)
        #expect(try table.principal(for: token) == Principal(name: "ops", role: .reader, projects: ["aurora", "borealis"]))
        #expect(try table.principal(for: token + "x") == nil)
        _ = try store.revoke(id: stored.id, now: "2026-12-05T01:00:00Z")
        #expect(try table.principal(for: token) == nil)
        #expect(try store.load().first?.revokedAt == "2026-12-05T01:00:00Z")
        #expect(throws: TokenStoreError.self) { try store.revoke(id: "nope", now: "") }
        #expect(throws: TokenStoreError.self) { try store.create(name: nil, role: .reader, projects: [], now: "") }
    }

    @Test func derivedIDsAreStableUUIDsThatDependOnTheCreatingEvent() {
        let a = DerivedID.uuid("service", "compute", "event-1")
        #expect(a == DerivedID.uuid("service", "compute", "event-1"))
        #expect(a != DerivedID.uuid("service", "compute", "event-2"))
        #expect(a.count == 36 && a.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        #expect(RuleLogView.newUUID() != RuleLogView.newUUID())
    }
}
