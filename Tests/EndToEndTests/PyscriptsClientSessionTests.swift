import Foundation
import Testing
import TallyCore
import TallyRuntime

/// Issue 11 item 2, the rest of the client: `cloudkitty pyscript …` (what
/// python-cloudkittyclient's own functional tests run), the deprecated collector commands,
/// the `pyscripts` module id, and parameters sent in a GET's JSON body (how CloudKitty's
/// tempest API tests call it), against `tally serve` with a broker. Pyscripts are `script`
/// rules of the rule log, with CloudKitty 23's date rules and error texts.
@Suite(.serialized) struct PyscriptsClientSessionTests {
    @Test func pyscriptsCollectorsAndGetBodiesWorkAsTheClientAndTempestUseThem() async throws {
        let fixture = try EndToEndFixture()
        let (config, serve) = try ServeSession.noauth(fixture, state: "state-api")
        defer { serve.stop() }

        func ck(_ args: String...) throws -> [[String: Any]] {
            let result = try serve.cloudkitty(args + ["-f", "json"])
            #expect(result.status == 0, "cloudkitty \(args.joined(separator: " ")): \(result.output)")
            let json = result.output.split(separator: "\n").filter { !$0.hasPrefix("WARNING") }.joined(separator: "\n")
            let parsed = try? JSONSerialization.jsonObject(with: Data(json.utf8))
            return parsed as? [[String: Any]] ?? (parsed as? [String: Any]).map { [$0] } ?? []
        }

        // A script that starts tomorrow is freely editable (the client's first functional test).
        let tomorrow = String(Timestamps.iso8601(WallClock.now() + TimeSpan.days(1)).dropLast())
        let created = try ck("pyscript", "create", "testscript", "return 0", "--start", tomorrow)
        let id = created.first?["Script ID"] as? String ?? ""
        #expect(created.first?["Name"] as? String == "testscript" && !id.isEmpty, "\(created)")
        #expect(created.first?["Checksum"] as? String == Self.sha512Hex("return 0"))
        #expect(try ck("pyscript", "get", id).first?["Name"] as? String == "testscript")
        let updated = try ck("pyscript", "update", "-d", "return 1", id, "--description", "desc")
        #expect(updated.first?["Script Description"] as? String == "desc" && updated.first?["Data"] as? String == "return 1", "\(updated)")
        let listed = try ck("pyscript", "list")
        #expect(listed.count == 1 && listed.first?["Script ID"] as? String == id && listed.first?["Data"] as? String == "return 1")
        let deleteResult = try serve.cloudkitty(["pyscript", "delete", id])
        #expect(deleteResult.status == 0, "\(deleteResult.output)")
        #expect(try ck("pyscript", "list").isEmpty)

        // A started script takes only an end, once (the second functional test, and tempest's).
        let started = try ck("pyscript", "create", "testscript_started", "return 0")
        let startedID = started.first?["Script ID"] as? String ?? ""
        let refused = try serve.cloudkitty(["pyscript", "update", "-d", "return 1", startedID, "--description", "desc"])
        #expect(refused.status != 0 && refused.output.contains(
            "You are allowed to update only the attribute [end] as this rule is already running as it started on "), "\(refused.output)")
        let unchanged = try ck("pyscript", "list")
        #expect(unchanged.first?["Data"] as? String == "return 0" && unchanged.first?["Script Description"] is NSNull, "\(unchanged)")
        let ended = try ck("pyscript", "update", startedID, "--end", "3000-01-01T23:59:59")
        #expect(ended.first?["Script End Date"] as? String == "3000-01-01T23:59:59", "\(ended)")
        let endedAgain = try serve.cloudkitty(["pyscript", "update", startedID, "--end", "3000-06-01T00:00:00"])
        #expect(endedAgain.status != 0 && endedAgain.output.contains(
            "Cannot update a rule that was already processed and has a defined end date."), "\(endedAgain.output)")
        // tempest: Python source is stored as given; the id may be in the body of a PUT on the collection.
        let python = "\ndef dumbfunc():\n    return 0\n\ndata = dumbfunc()\n"
        let viaBody = try await serve.request("PUT", "/v1/rating/module_config/pyscripts/scripts/",
                                              json: #"{"script_id":"\#(startedID)","name":"testscript_started","data":"x = 1"}"#)
        #expect(viaBody.status == 400, "\(viaBody.body)")
        let pythonScript = try await serve.request("POST", "/v1/rating/module_config/pyscripts/scripts/",
                                                   json: #"{"name":"dummy_script","data":\#(Self.jsonString(python))}"#)
        #expect(pythonScript.status == 201 && pythonScript.body.contains("dumbfunc"), "\(pythonScript.body)")
        #expect(try await serve.request("GET", "/v1/rating/module_config/pyscripts/scripts/00000000-0000-5000-8000-000000000000").status == 404)

        // Every write is a rule-log event on a `script` rule, and the book holds the live ones.
        let log = try TallyProcess.run(["rules", "log", "--config", config])
        #expect(log.status == 0 && log.output.contains("create script 'testscript'") && log.output.contains("delete script 'testscript'")
                && log.output.contains("end script 'testscript_started'"), "\(log.output)")

        // Modules: the script module is CloudKitty's `pyscripts`.
        #expect(try ck("module", "get", "pyscripts").first?["Module"] as? String == "pyscripts")
        #expect(try ck("module", "list").contains { $0["Module"] as? String == "pyscripts" })

        // The deprecated collector API: bookkeeping only, as the client's functional tests use it.
        let mapping = try ck("collector-mapping", "create", "compute", "gnocchi")
        #expect(mapping.first?["Collector"] as? String == "gnocchi" && mapping.first?["Service"] as? String == "compute", "\(mapping)")
        #expect(try ck("collector-mapping", "list").count == 1)
        #expect(try serve.cloudkitty(["collector-mapping", "delete", "compute"]).status == 0)
        #expect(try ck("collector-mapping", "list").isEmpty)
        #expect(try ck("collector", "enable", "gnocchi").first?["State"] as? Bool == true)
        #expect(try ck("collector", "disable", "gnocchi").first?["State"] as? Bool == false)

        // tempest sends a GET's parameters as a JSON body; the query string wins over it.
        let services = try await serve.request("POST", "/v1/rating/module_config/hashmap/services", json: #"{"name":"instance"}"#)
        let serviceID = (try JSONSerialization.jsonObject(with: Data(services.body.utf8)) as? [String: Any])?["service_id"] as? String ?? ""
        let group = try await serve.request("POST", "/v1/rating/module_config/hashmap/groups", json: #"{"name":"compute"}"#)
        let groupID = (try JSONSerialization.jsonObject(with: Data(group.body.utf8)) as? [String: Any])?["group_id"] as? String ?? ""
        let mappingCreated = try await serve.request("POST", "/v1/rating/module_config/hashmap/mappings",
                                                     json: #"{"service_id":"\#(serviceID)","group_id":"\#(groupID)","cost":0}"#)
        let mappingID = (try JSONSerialization.jsonObject(with: Data(mappingCreated.body.utf8)) as? [String: Any])?["mapping_id"] as? String ?? ""
        #expect(mappingCreated.status == 201 && !mappingID.isEmpty, "\(mappingCreated.body)")
        let groupOfMapping = try ExternalCommand.run(["curl", "-s", "-X", "GET", "-H", "Content-Type: application/json",
                                                      "-d", #"{"mapping_id":"\#(mappingID)"}"#,
                                                      serve.url + "/v1/rating/module_config/hashmap/mappings/group/"])
        #expect(groupOfMapping.output.contains(#""name":"compute""#), "\(groupOfMapping.output)")
        let noData = try ExternalCommand.run(["curl", "-s", "-X", "GET", "-H", "Content-Type: application/json",
                                              "-d", #"{"no_data":true}"#, serve.url + "/v1/rating/module_config/pyscripts/scripts/"])
        #expect(noData.output.contains("dummy_script") && !noData.output.contains("dumbfunc"), "\(noData.output)")
        let queryWins = try ExternalCommand.run(["curl", "-s", "-X", "GET", "-H", "Content-Type: application/json",
                                                 "-d", #"{"no_data":true}"#, serve.url + "/v1/rating/module_config/pyscripts/scripts/?no_data=false"])
        #expect(queryWins.output.contains("dumbfunc"), "\(queryWins.output)")
    }

    static func jsonString(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }

    static func sha512Hex(_ text: String) -> String {
        let run = try? ExternalCommand.run(["sh", "-c", "printf '%s' \"$0\" | sha512sum", text])
        return String(run?.output.prefix(128) ?? "")
    }
}
