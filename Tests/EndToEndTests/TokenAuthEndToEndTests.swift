import Foundation
import Testing
import TallyCore

/// Issue 11 item 4: `tally tokens create|list|revoke` and `api.auth: token` against a real
/// `tally serve`: no token, a wrong or a revoked one is 401; a reader may not write rules
/// (403); an admin's write is a rule event authored by the token's name. Tokens are stored
/// only as SHA-256 digests.
@Suite(.serialized) struct TokenAuthEndToEndTests {
    @Test func bearerTokensAuthenticateAndOnlyAdminsWriteRules() async throws {
        let fixture = try EndToEndFixture()
        let config = try RuleLogEndToEndTests.writeConfigWithoutRulesFile(fixture, state: "state-tokens")
        try (String(contentsOfFile: config, encoding: .utf8) + "\napi: {auth: token, tokens_file: tokens.json}\n")
            .write(toFile: config, atomically: true, encoding: .utf8)

        func create(_ args: [String]) throws -> (token: String, id: String) {
            let result = try TallyProcess.run(["tokens", "create", "--config", config] + args)
            #expect(result.status == 0, "\(result.output)")
            let token = result.output.split(separator: "\n").first { $0.hasPrefix("tally_") }.map(String.init) ?? ""
            let id = result.output.split(separator: "\n").first { $0.hasPrefix("id ") }.map { String($0.dropFirst(3).prefix(8)) } ?? ""
            return (token, id)
        }
        let admin = try create(["--role", "admin", "--name", "alice@example.com"])
        let reader = try create(["--role", "reader", "--project", "aurora"])
        #expect(admin.token.count == 70 && reader.token.count == 70 && !admin.id.isEmpty)
        let noProject = try TallyProcess.run(["tokens", "create", "--config", config, "--role", "reader"])
        #expect(noProject.status != 0 && noProject.output.contains("at least one --project"), "\(noProject.output)")
        let stored = try String(contentsOf: fixture.directory.appendingPathComponent("tokens.json"), encoding: .utf8)
        #expect(!stored.contains(admin.token) && stored.contains(TallyServiceDigest.sha256Hex(admin.token)))

        let serve = try ServeSession(config: config, directory: fixture.directory)
        defer { serve.stop() }
        let services = "/v1/rating/module_config/hashmap/services"
        #expect(try await serve.request("GET", services).status == 401)
        #expect(try await serve.request("GET", "/").status == 200, "the version document is public")
        #expect(try await serve.request("GET", "/", headers: ["Authorization": "Bearer tally_nope"]).status == 401)
        #expect(try await serve.request("GET", services, headers: ["Authorization": "Bearer tally_nope"]).status == 401)
        #expect(try await serve.request("GET", services, headers: ["Authorization": "Bearer " + reader.token]).status == 403)
        let readerWrite = try await serve.request("POST", services, json: #"{"name":"instance"}"#,
                                                  headers: ["Authorization": "Bearer " + reader.token])
        #expect(readerWrite.status == 403, "\(readerWrite.body)")
        let adminWrite = try await serve.request("POST", services, json: #"{"name":"instance"}"#,
                                                 headers: ["X-Auth-Token": admin.token])
        #expect(adminWrite.status == 201, "\(adminWrite.body)")
        let duplicate = try await serve.request("POST", services, json: #"{"name":"instance"}"#,
                                                headers: ["Authorization": "Bearer " + admin.token])
        #expect(duplicate.status == 409, "\(duplicate.body)")
        let quote = try await serve.request("POST", "/v1/rating/quote", json: #"{"resources":[{"service":"instance","volume":"1","desc":{}}]}"#,
                                            headers: ["Authorization": "Bearer " + reader.token])
        #expect(quote.status == 200, "\(quote.body)")

        let log = try TallyProcess.run(["rules", "log", "--config", config])
        #expect(log.output.contains("alice@example.com  create service 'instance'"), "\(log.output)")

        let list = try TallyProcess.run(["tokens", "list", "--config", config])
        #expect(list.output.contains("alice@example.com") && !list.output.contains(admin.token), "\(list.output)")
        #expect(try TallyProcess.run(["tokens", "revoke", "--config", config, admin.id]).status == 0)
        let revoked = try await serve.request("GET", services, headers: ["Authorization": "Bearer " + admin.token])
        #expect(revoked.status == 401, "\(revoked.body)")
        #expect(try TallyProcess.run(["tokens", "list", "--config", config]).output.contains("REVOKED"))
    }
}

/// SHA-256 hex with libcrypto, to check what the tokens file holds.
enum TallyServiceDigest {
    static func sha256Hex(_ text: String) -> String {
        var sha = SHA256()
        sha.update(text.utf8)
        return Hex.encode(sha.finalize())
    }
}
