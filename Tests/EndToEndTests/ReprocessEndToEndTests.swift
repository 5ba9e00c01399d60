import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime

/// `/v2/task/reprocesses` as Tally's replay: after a backdated, forced mapping written through
/// the hashmap API, a dry run reports each scope's price difference (every m1.small
/// instance-hour 0.005 more) and publishes nothing; a real one queues a correction command
/// authored by the caller, which GET lists, also after the service restarts. CloudKitty's
/// scope state reset (`PUT /v2/scope`) is the same replay from its date; PATCH and POST
/// answer what Tally can honestly do.
@Suite(.serialized) struct ReprocessEndToEndTests {
    @Test func reprocessingIsAReplayDryRunOrApply() async throws {
        let fixture = try EndToEndFixture(extraConfig: "api: {auth: noauth}")
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 6) * 3_600_000_000)
        let simulator = UsageSimulator(seed: 5, start: start, hours: 3, projects: 2, instancesPerProject: 2, volumesPerProject: 1)
        try fixture.produce(CeilometerEncoder.records(simulator.samples(), perRecord: 10))
        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(run.status == 0, "\(run.output)")

        let serve = try ServeSession(config: fixture.configPath, directory: fixture.directory)
        defer { serve.stop() }
        let hashmap = "/v1/rating/module_config/hashmap"
        let fields = try await serve.request("GET", "\(hashmap)/services")
        let serviceID = try #require(try (JSONSerialization.jsonObject(with: Data(fields.body.utf8)) as? [String: [[String: Any]]])?["services"]?
            .first { $0["name"] as? String == "instance" }?["service_id"] as? String)
        let fieldList = try await serve.request("GET", "\(hashmap)/fields?service_id=\(serviceID)")
        let fieldID = try #require(try (JSONSerialization.jsonObject(with: Data(fieldList.body.utf8)) as? [String: [[String: Any]]])?["fields"]?
            .first?["field_id"] as? String)
        let group = try await serve.request("POST", "\(hashmap)/groups", json: #"{"name":"amendment"}"#)
        let groupID = try #require(try (JSONSerialization.jsonObject(with: Data(group.body.utf8)) as? [String: Any])?["group_id"] as? String)
        let surcharge = """
            {"field_id":"\(fieldID)","value":"m1.small","type":"flat","cost":0.005,"group_id":"\(groupID)","name":"m1-small-surcharge","start":"\(Timestamps.iso8601(start))"}
            """
        let unforced = try await serve.request("POST", "\(hashmap)/mappings", json: surcharge)
        #expect(unforced.status == 400 && unforced.body.contains("past-start-without-force"), "\(unforced.body)")
        let forced = try await serve.request("POST", "\(hashmap)/mappings?force=true", json: surcharge)
        #expect(forced.status == 201, "\(forced.body)")

        var expected: [String: Decimal] = [:]
        for entry in try fixture.frames().latest.values where entry.metric == "instance" {
            let object = try JSONSerialization.jsonObject(with: Data(entry.bytes)) as! [String: Any]
            if (object["groupby"] as? [String: Any])?["flavor_name"] as? String == "m1.small" {
                expected[entry.scope, default: 0] += Decimal(string: "0.005")!
            }
        }
        #expect(!expected.isEmpty)
        let range = """
            "start_reprocess_time":"\(Timestamps.iso8601(start))","end_reprocess_time":"\(Timestamps.iso8601(start + TimeSpan.hours(4)))"
            """
        let dry = try await serve.request("POST", "/v2/task/reprocesses",
                                          json: #"{"scope_ids":"ALL","reason":"surcharge","dry_run":true,"# + range + "}")
        #expect(dry.status == 200, "\(dry.body)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(dry.body.utf8)) as? [[String: Any]])
        let scopes = reports.first?["scopes"] as? [[String: Any]] ?? []
        for (scope, difference) in expected {
            let row = scopes.first { $0["scope"] as? String == scope }
            #expect((row?["difference"] as? String).flatMap { Decimal(string: $0) } == difference, "\(dry.body)")
        }
        #expect(try TopicIO.readAll(topic: "tally.corrections", bootstrapServers: fixture.broker.bootstrapServers).isEmpty)

        let applied = try await serve.request("POST", "/v2/task/reprocesses",
                                              json: #"{"scope_ids":"ALL","reason":"surcharge","# + range + "}")
        #expect(applied.status == 202, "\(applied.body)")

        // CloudKitty's scope state reset is the same replay, from the date to now (202, listed).
        let scope = try #require(expected.keys.sorted().first)
        let reset = try await serve.request("PUT", "/v2/scope",
                                            json: #"{"scope_id":"\#(scope)","last_processed_timestamp":"\#(Timestamps.iso8601(start))"}"#)
        #expect(reset.status == 202 && reset.body == "{}", "\(reset.body)")
        let clientReset = try await serve.request("PUT", "/v2/scope", json: #"{"scope_id":"\#(scope)","state":"2020-01-01T00:00:00"}"#)
        #expect(clientReset.status == 400 && clientReset.body.contains("extra keys not allowed @ data['state']"), "\(clientReset.body)")
        let noSelector = try await serve.request("PUT", "/v2/scope", json: #"{"last_processed_timestamp":"2020-01-01T00:00:00"}"#)
        #expect(noSelector.status == 400 && noSelector.body.contains("Either all_scopes or a scope_id should be specified."))
        let unknown = try await serve.request("PUT", "/v2/scope", json: #"{"scope_id":"nobody","last_processed_timestamp":"2020-01-01T00:00:00"}"#)
        #expect(unknown.status == 404 && unknown.body.contains("No resource found for provided filters."), "\(unknown.body)")
        // PATCH: the values Tally has answer the scope; deactivating is refused with the reason.
        let same = try await serve.request("PATCH", "/v2/scope", json: #"{"scope_id":"\#(scope)","active":true,"collector":"tally"}"#)
        #expect(same.status == 200 && same.body.contains(#""scope_id":"\#(scope)""#) && same.body.contains(#""active":true"#), "\(same.body)")
        let deactivate = try await serve.request("PATCH", "/v2/scope", json: #"{"scope_id":"\#(scope)","active":false}"#)
        #expect(deactivate.status == 409 && deactivate.body.contains("cannot deactivate"), "\(deactivate.body)")
        #expect(try await serve.request("GET", "/v2/scope?scope_id=\(scope)").body.contains(#""active":true"#))
        // POST: an existing scope is CloudKitty's 404; a new one is learnt from samples, not created.
        let again = try await serve.request("POST", "/v2/scope", json: #"{"scope_id":"\#(scope)"}"#)
        #expect(again.status == 404 && again.body.contains("Cannot create a scope with an already existing scope_id"), "\(again.body)")
        let new = try await serve.request("POST", "/v2/scope", json: #"{"scope_id":"project-new"}"#)
        #expect(new.status == 409 && new.body.contains("learns its scopes from the samples"), "\(new.body)")
        let status = try await serve.request("GET", "/v2/task/reprocesses")
        #expect(status.body.contains("\"scope_id\":\"ALL\"") && status.body.contains("\"reason\":\"surcharge\""), "\(status.body)")
        let ofScope = try await serve.request("GET", "/v2/task/reprocesses/\(scope)").body
        #expect(ofScope.contains(#""reason":"scope state reset to \#(Timestamps.iso8601(start)) through the API""#), "\(ofScope)")
        let commands = try TopicIO.readAll(topic: "tally.corrections", bootstrapServers: fixture.broker.bootstrapServers)
        #expect(!commands.isEmpty && commands.allSatisfy { String(decoding: $0.value, as: UTF8.self).contains("\"author\":\"unknown\"") })

        // The task list survives a restart of the service (stored in the index's environment).
        serve.stop()
        let restarted = try ServeSession(config: fixture.configPath, directory: fixture.directory)
        defer { restarted.stop() }
        let afterRestart = try await restarted.request("GET", "/v2/task/reprocesses")
        #expect(afterRestart.status == 200)
        #expect(afterRestart.body == status.body, "\(afterRestart.body) vs \(status.body)")
    }
}
