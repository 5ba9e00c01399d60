import Foundation
import Testing
import TallyCore

/// `tally serve` keeps the rule log folded in a follower thread instead of re-reading the
/// topic per request: its own writes are visible to the very next read (read-your-writes),
/// and events another process publishes reach it without a restart.
@Suite(.serialized) struct RuleLogFollowerEndToEndTests {
    static let h = "/v1/rating/module_config/hashmap"

    static func object(_ body: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    static func noauthConfig(_ fixture: EndToEndFixture, state: String) throws -> String {
        let config = try RuleLogEndToEndTests.writeConfigWithoutRulesFile(fixture, state: state)
        try (String(contentsOfFile: config, encoding: .utf8) + "\napi: {auth: noauth}\n").write(toFile: config, atomically: true, encoding: .utf8)
        return config
    }

    /// Every write is followed at once by reads of what it wrote: the item, the list, the
    /// quote priced with it, the module setting, the rule log's events. None may miss it.
    @Test func everyWriteIsSeenByTheNextRead() async throws {
        let fixture = try EndToEndFixture()
        let config = try Self.noauthConfig(fixture, state: "state-ryw")
        let serve = try ServeSession(config: config, directory: fixture.directory)
        defer { serve.stop() }
        let h = Self.h
        let created = try await serve.request("POST", "\(h)/services", json: #"{"name":"volume.size"}"#)
        let serviceID = Self.object(created.body)["service_id"] as? String ?? ""
        #expect(created.status == 201 && !serviceID.isEmpty, "\(created.body)")
        #expect(try await serve.request("GET", "\(h)/services/\(serviceID)").status == 200)
        let field = try await serve.request("POST", "\(h)/fields", json: #"{"service_id":"\#(serviceID)","name":"volume_type"}"#)
        let fieldID = Self.object(field.body)["field_id"] as? String ?? ""
        #expect(field.status == 201 && !fieldID.isEmpty, "\(field.body)")
        #expect(try await serve.request("GET", "\(h)/fields/\(fieldID)").status == 200)

        for round in 1...25 {
            let cost = "0.\(round)"
            let mapping = try await serve.request("POST", "\(h)/mappings", json: """
                {"field_id":"\(fieldID)","value":"type-\(round)","cost":"\(cost)","type":"flat","name":"ryw-\(round)"}
                """)
            let mappingID = Self.object(mapping.body)["mapping_id"] as? String ?? ""
            #expect(mapping.status == 201 && !mappingID.isEmpty, "round \(round): \(mapping.body)")
            let one = try await serve.request("GET", "\(h)/mappings/\(mappingID)")
            #expect(one.status == 200 && Self.decimal(Self.object(one.body)["cost"]) == Decimal(string: cost), "round \(round): \(one.body)")
            let list = try await serve.request("GET", "\(h)/mappings?field_id=\(fieldID)")
            #expect((Self.object(list.body)["mappings"] as? [Any])?.count == round, "round \(round): \(list.body)")
            // The quote of 2 GiB of this volume type is priced with the mapping just written.
            let quote = try await serve.request("POST", "/v1/rating/quote", json: """
                {"resources":[{"service":"volume.size","volume":"2","desc":{"metadata":{"volume_type":"type-\(round)"}}}]}
                """)
            #expect(quote.status == 200 && Decimal(string: quote.body) == Decimal(string: cost)! * 2, "round \(round): quote \(quote.body)")
        }
        // Module settings are rule events too.
        for enabled in [false, true, false] {
            #expect(try await serve.request("PUT", "/v2/rating/modules/hashmap", json: #"{"enabled":\#(enabled)}"#).status == 204)
            let module = try await serve.request("GET", "/v2/rating/modules/hashmap")
            #expect(Self.object(module.body)["enabled"] as? Bool == enabled, "\(module.body)")
        }
        // A delete, then the deleted list and the rule log's events right away.
        let doomed = try #require((Self.object(try await serve.request("GET", "\(h)/mappings?field_id=\(fieldID)").body)["mappings"]
            as? [[String: Any]])?.first?["mapping_id"] as? String)
        #expect(try await serve.request("DELETE", "\(h)/mappings/\(doomed)").status == 204)
        let gone = try await serve.request("GET", "\(h)/mappings/\(doomed)")  // soft delete: kept, marked deleted
        #expect(gone.status == 200 && Self.object(gone.body)["deleted"] is String, "\(gone.body)")
        let live = Self.object(try await serve.request("GET", "\(h)/mappings?field_id=\(fieldID)").body)["mappings"] as? [Any]
        #expect(live?.count == 24, "\(live ?? [])")
        let events = Self.object(try await serve.request("GET", "/tally/v1/rules/events").body)["events"] as? [[String: Any]] ?? []
        // service, field, 25 mappings, 3 module changes, the delete.
        #expect(events.count == 31 && events.last?["summary"] as? String != nil, "\(events.count) events")
        #expect((events.last?["summary"] as? String)?.hasPrefix("delete") == true, "\(events.last ?? [:])")
        // The metrics name the version the reads answer from: the offset of the delete.
        let metrics = try await serve.request("GET", "/metrics")
        #expect(Self.line("tally_rule_book_version{", in: metrics.body)?.hasSuffix("} 30") == true, "\(metrics.body)")
        #expect(try await serve.request("GET", "/readyz").status == 200)
    }

    /// `tally rules apply` in another process: the service folds the event without a restart,
    /// logs it as a change picked up live, and its reads and metrics move to the new version.
    @Test func anEventFromAnotherProcessIsSeenWithoutRestart() async throws {
        let fixture = try EndToEndFixture()
        let config = try Self.noauthConfig(fixture, state: "state-other")
        let serve = try ServeSession(config: config, directory: fixture.directory)
        defer { serve.stop() }
        #expect(Self.object(try await serve.request("GET", "\(Self.h)/services").body)["services"] as? [Any] != nil)
        #expect((Self.object(try await serve.request("GET", "\(Self.h)/services").body)["services"] as? [Any])?.isEmpty == true)

        let rules = fixture.directory.appendingPathComponent("rules.yaml").path
        let applied = try TallyProcess.run(["rules", "apply", rules, "--config", config, "--author", "bob@example.com", "--reason", "price list"])
        #expect(applied.status == 0, "\(applied.output)")
        let offset = try #require(applied.output.components(separatedBy: "accepted at offset ").last?.prefix { $0.isNumber },
                                  "\(applied.output)")

        // The follower folds it on its own; nothing here asks the service to re-read. Bounded wait.
        let deadline = Date().addingTimeInterval(15)
        var names: [String] = []
        while Date() < deadline {
            let services = Self.object(try await serve.request("GET", "\(Self.h)/services").body)["services"] as? [[String: Any]] ?? []
            names = services.compactMap { $0["name"] as? String }
            if !names.isEmpty { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(names.contains("instance") && names.contains("volume.size"), "\(names)")
        let mappings = try await serve.request("GET", "\(Self.h)/mappings")
        #expect(mappings.body.contains("\"name\":\"m1-small\""), "\(mappings.body)")
        let book = Self.object(try await serve.request("GET", "/tally/v1/rules/book").body)
        #expect(book["version"] as? Int == Int(offset), "\(book)")
        let metrics = try await serve.request("GET", "/metrics")
        #expect(Self.line("tally_rule_book_version{", in: metrics.body)?.hasSuffix("} \(offset)") == true, "\(metrics.body)")
        #expect(Self.line("tally_rule_log_caught_up ", in: metrics.body) == "tally_rule_log_caught_up 1", "\(metrics.body)")
        let log = try String(contentsOf: serve.log, encoding: .utf8)
        #expect(log.contains("rule change") && log.contains("bob@example.com"), "\(log)")
    }

    /// The first line of a Prometheus text that starts with `prefix`.
    static func line(_ prefix: String, in text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init)
    }

    /// A decimal member, sent as a string (CloudKitty's convention) or a number.
    static func decimal(_ value: Any?) -> Decimal? {
        if let text = value as? String { return Decimal(string: text) }
        return (value as? NSNumber).map { Decimal(string: $0.stringValue)! }
    }
}
