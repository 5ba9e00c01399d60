import Foundation
import Testing
import TallyCore

/// What the client does not cover, over HTTP: CloudKitty 23's date rules (a date-only end is
/// 23:59:59 that day, printed naive UTC; end before start is 400; a started mapping may only
/// get a future end, once; a threshold, which has no dates in CloudKitty 23, is updated from
/// now on under the same id), cascading deletes as one batch event, a group with rules
/// deleted only recursively, and thresholds' group lookup.
@Suite(.serialized) struct HashmapHTTPRulesTests {
    static func object(_ body: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func dateRulesCascadesAndGroups() async throws {
        let fixture = try EndToEndFixture()
        let (config, serve) = try ServeSession.noauth(fixture, state: "state-http")
        defer { serve.stop() }
        let h = "/v1/rating/module_config/hashmap"
        let serviceID = Self.object(try await serve.request("POST", "\(h)/services", json: #"{"name":"volume.size"}"#).body)["service_id"] as? String ?? ""
        let groupID = Self.object(try await serve.request("POST", "\(h)/groups", json: #"{"name":"storage"}"#).body)["group_id"] as? String ?? ""
        #expect(!serviceID.isEmpty && !groupID.isEmpty)

        let backwards = try await serve.request("POST", "\(h)/mappings", json: """
            {"service_id":"\(serviceID)","cost":"1","type":"flat","start":"2030-01-02","end":"2030-01-01"}
            """)
        #expect(backwards.status == 400, "\(backwards.body)")
        let dated = try await serve.request("POST", "\(h)/mappings", json: """
            {"service_id":"\(serviceID)","cost":"1","type":"flat","name":"dated","start":"2030-01-01","end":"2030-01-31"}
            """)
        #expect(dated.status == 201 && Self.object(dated.body)["end"] as? String == "2030-01-31T23:59:59"
                && Self.object(dated.body)["start"] as? String == "2030-01-01T00:00:00", "\(dated.body)")

        // A started mapping: only a future end, and only once.
        let running = try await serve.request("POST", "\(h)/mappings", json: """
            {"service_id":"\(serviceID)","cost":"2","type":"flat","name":"running","group_id":"\(groupID)"}
            """)
        let mappingID = Self.object(running.body)["mapping_id"] as? String ?? ""
        #expect(running.status == 201 && !mappingID.isEmpty, "\(running.body)")
        let createdAt = Self.object(running.body)["created_at"] as? String ?? "Z"
        #expect(!createdAt.hasSuffix("Z") && createdAt.count >= 19 && Array(createdAt)[10] == "T", "\(running.body)")
        let recost = try await serve.request("PUT", "\(h)/mappings/\(mappingID)", json: #"{"cost":"3"}"#)
        #expect(recost.status == 400 && recost.body.contains("You are allowed to update only the attribute [end] as this rule is already running as it started on ["), "\(recost.body)")
        let ended = try await serve.request("PUT", "\(h)/mappings/\(mappingID)", json: #"{"end":"2031-06-30"}"#)
        #expect(ended.status == 302, "\(ended.body)")
        let endedAgain = try await serve.request("PUT", "\(h)/mappings/\(mappingID)", json: #"{"end":"2031-07-31"}"#)
        #expect(endedAgain.status == 400 && endedAgain.body.contains("Cannot update a rule that was already processed and has a defined end date."), "\(endedAgain.body)")

        // A started threshold takes a new cost from now on, under the same id.
        let started = try await serve.request("POST", "\(h)/thresholds", json: """
            {"service_id":"\(serviceID)","level":"10","cost":"0.5","type":"rate","group_id":"\(groupID)"}
            """)
        let thresholdID = Self.object(started.body)["threshold_id"] as? String ?? ""
        #expect(started.status == 201 && !thresholdID.isEmpty, "\(started.body)")
        let newCost = try await serve.request("PUT", "\(h)/thresholds/\(thresholdID)", json: #"{"cost":"0.7"}"#)
        #expect(newCost.status == 302, "\(newCost.body)")
        let rereadBody = try await serve.request("GET", "\(h)/thresholds/\(thresholdID)").body
        let reread = Self.object(rereadBody)
        #expect(reread["cost"] as? String == "0.7" && reread["level"] as? String == "10", "\(reread)")
        // The client PUTs the whole object it read, and keystoneauth sends it again to the 302's Location.
        let resent = try await serve.request("PUT", "\(h)/thresholds/\(thresholdID)", json: rereadBody)
        #expect(resent.status == 302, "\(resent.body)")
        let thresholds = Self.object(try await serve.request("GET", "\(h)/thresholds?service_id=\(serviceID)").body)["thresholds"] as? [Any]
        #expect(thresholds?.count == 1, "\(thresholds ?? [])")
        let group = try await serve.request("GET", "\(h)/thresholds/group?threshold_id=\(thresholdID)")
        #expect(Self.object(group.body)["name"] as? String == "storage", "\(group.body)")

        // A group that has rules is deleted only recursively; a service delete cascades.
        let refused = try await serve.request("DELETE", "\(h)/groups/\(groupID)")
        #expect(refused.status == 409, "\(refused.body)")
        #expect(try await serve.request("DELETE", "\(h)/groups/\(groupID)?recursive=true").status == 204)
        #expect(try await serve.request("GET", "\(h)/groups/\(groupID)").status == 404)
        #expect(try await serve.request("DELETE", "\(h)/services/\(serviceID)").status == 204)
        #expect(Self.object(try await serve.request("GET", "\(h)/services").body)["services"] as? [Any] != nil)
        #expect((Self.object(try await serve.request("GET", "\(h)/services").body)["services"] as? [Any])?.isEmpty == true)
        let deleted = try await serve.request("GET", "\(h)/mappings?service_id=\(serviceID)&deleted=true")
        #expect(deleted.body.contains("\"name\":\"dated\""), "\(deleted.body)")
        let log = try TallyProcess.run(["rules", "log", "--config", config])
        #expect(log.status == 0 && log.output.contains("batch"), "\(log.output)")
        let verify = try TallyProcess.run(["rules", "verify", "--config", config])
        #expect(verify.status == 0, "\(verify.output)")
    }

    @Test func anUnreachableRuleLogIsA503AndTheServiceKeepsRunning() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try EndToEndFixture.metrics.write(to: directory.appendingPathComponent("metrics.yaml"), atomically: true, encoding: .utf8)
        let config = directory.appendingPathComponent("tally.yaml").path
        try "metrics: metrics.yaml\nkafka: {bootstrap: \"127.0.0.1:1\"}\napi: {auth: noauth}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let serve = try ServeSession(config: config, directory: directory)
        defer { serve.stop() }
        let down = try await serve.request("GET", "/v1/rating/module_config/hashmap/services")
        #expect(down.status == 503 && down.body.contains("the rule log tally.rules at 127.0.0.1:1 is unavailable"), "\(down.body)")
        #expect(try await serve.request("GET", "/").status == 200)
        #expect(serve.process.isRunning)
    }
}
