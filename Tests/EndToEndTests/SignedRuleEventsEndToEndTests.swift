import Foundation
import Testing
import TallyCore
import TallyCrypto
import TallyRuntime
import TallyWire

/// Issue 11 item 4 (signed rule events): events `tally serve` writes are signed with its
/// key, and `tally rules verify --public-keys` accepts them; an event published straight
/// to the log under someone's name (`rules apply --author`: unsigned), one signed by a key
/// nobody trusts, and one carrying the service's signature over different content are each
/// named and make verify exit 1.
@Suite(.serialized) struct SignedRuleEventsEndToEndTests {
    @Test func verifyTellsTheServicesEventsFromForgedAuthors() async throws {
        let fixture = try EndToEndFixture()
        let config = try RuleLogEndToEndTests.writeConfigWithoutRulesFile(fixture, state: "state-signed")
        try (String(contentsOfFile: config, encoding: .utf8) + "\napi: {auth: noauth, signing_key: serve.key}\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let serve = try ServeSession(config: config, directory: fixture.directory)
        defer { serve.stop() }
        let created = try await serve.request("POST", "/v1/rating/module_config/hashmap/groups", json: #"{"name":"compute"}"#)
        #expect(created.status == 201, "\(created.body)")

        let keyLine = try TallyProcess.run(["tokens", "signing-key", "--config", config])
        #expect(keyLine.status == 0 && keyLine.output.hasPrefix("tally-serve "), "\(keyLine.output)")
        let keys = fixture.directory.appendingPathComponent("keys.txt").path
        try keyLine.output.write(toFile: keys, atomically: true, encoding: .utf8)
        let verified = try TallyProcess.run(["rules", "verify", "--config", config, "--public-keys", keys])
        #expect(verified.status == 0 && verified.output.contains("by unknown: signed by tally-serve"), "\(verified.output)")

        // Someone with broker access writes as "alice" without the service.
        let file = fixture.directory.appendingPathComponent("extra.yaml").path
        try "version: 1\ngroups: [compute, storage]\n".write(toFile: file, atomically: true, encoding: .utf8)
        let applied = try TallyProcess.run(["rules", "apply", file, "--config", config, "--author", "alice", "--reason", "r"])
        #expect(applied.status == 0, "\(applied.output)")
        let unsigned = try TallyProcess.run(["rules", "verify", "--config", config, "--public-keys", keys])
        #expect(unsigned.status == 1 && unsigned.output.contains("by alice: unsigned: the author is self-declared"), "\(unsigned.output)")

        // A stranger's key, and the service's signature lifted onto other content.
        let client = RuleLogClient(bootstrapServers: fixture.broker.bootstrapServers)
        let stranger = try Ed25519PrivateKey(seed: Ed25519PrivateKey.generateSeed())
        let seed = Base64.decode(try String(contentsOf: fixture.directory.appendingPathComponent("serve.key"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines))!
        let serviceKey = try Ed25519PrivateKey(seed: seed)
        for (author, sign) in [("bob", { (e: RuleEvent) in try stranger.signed(e) }),
                               ("carol", { (e: RuleEvent) in
                                   var forged = e
                                   var other = e; other.author = "unknown"; other = other.sealed(after: e.previousHash)
                                   forged.signature = try serviceKey.signed(other).signature
                                   return forged })] {
            let now = WallClock.now()
            var publication = try RuleLogPublication(changes: [PlannedRuleChange(change: .create(.group("net-\(author)")), start: now)],
                                                     author: author, reason: "r", now: now, state: try client.readState())
            publication.events = try publication.events.map(sign)
            publication.records = publication.events.map(RuleEventCodec.encode)
            #expect(try client.publish(publication).first?.isAccepted == true)
        }
        let forged = try TallyProcess.run(["rules", "verify", "--config", config, "--public-keys", keys])
        #expect(forged.status == 1, "\(forged.output)")
        #expect(forged.output.contains("by bob: signed by key \(Ed25519.keyID(publicKey: stranger.publicKey)), which is not in the public keys"), "\(forged.output)")
        #expect(forged.output.contains("by carol: the signature does not verify"), "\(forged.output)")
        #expect(forged.output.contains("3 of 4 event(s) are not signed by a trusted key"), "\(forged.output)")
    }
}
