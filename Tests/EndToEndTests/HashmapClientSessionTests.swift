import Foundation
import Testing
import TallyCore
import TallyRuntime

/// Issue 11 item 2: a session of the real `cloudkitty` client against `tally serve` with a
/// broker. Every hashmap write is a rule-log event ("unknown" author in noauth) that
/// `tally rules log|show` list and `tally quote` and the API's quote price with; duplicates
/// are 409, a started mapping cannot be updated, deletes are soft, ids survive a restart.
@Suite(.serialized) struct HashmapClientSessionTests {
    @Test func aClientSessionBecomesRuleEventsThatRulesShowAndQuoteUse() async throws {
        let fixture = try EndToEndFixture()
        var (config, serve) = try ServeSession.noauth(fixture, state: "state-api")
        defer { serve.stop() }

        func ck(_ args: String...) throws -> String {
            let result = try serve.cloudkitty(args)
            #expect(result.status == 0, "cloudkitty \(args.joined(separator: " ")): \(result.output)")
            return result.output
        }

        _ = try ck("hashmap", "service", "create", "instance")
        let serviceID = ExternalCommand.firstLine(try serve.cloudkitty(["hashmap", "service", "list", "-f", "value", "-c", "Service ID"]).output)
        _ = try ck("hashmap", "field", "create", serviceID, "flavor_name")
        let fieldID = ExternalCommand.firstLine(try serve.cloudkitty(["hashmap", "field", "list", serviceID, "-f", "value", "-c", "Field ID"]).output)
        _ = try ck("hashmap", "group", "create", "compute")
        let groupID = ExternalCommand.firstLine(try serve.cloudkitty(["hashmap", "group", "list", "-f", "value", "-c", "Group ID"]).output)
        _ = try ck("hashmap", "mapping", "create", "--field-id", fieldID, "--value", "m1.small", "-t", "flat", "-g", groupID, "--name", "m1-small", "0.025")
        _ = try ck("hashmap", "mapping", "create", "--field-id", fieldID, "--value", "m1.large", "-t", "flat", "-g", groupID, "--name", "m1-large", "0.1")
        _ = try ck("hashmap", "threshold", "create", "-s", serviceID, "-t", "rate", "100", "0.5")
        #expect(try ck("hashmap", "mapping-types", "list").contains("rate"))
        let listed = try ck("hashmap", "mapping", "list", "--field-id", fieldID)
        #expect(listed.contains("m1.small") && listed.contains("0.025") && listed.contains("m1.large"), "\(listed)")
        #expect(try ck("hashmap", "threshold", "list", "-s", serviceID).contains("0.5"))
        // A threshold has no dates in CloudKitty 23: the client's update changes it from now on, same id.
        let thresholdID = ExternalCommand.firstLine(try serve.cloudkitty(["hashmap", "threshold", "list", "-s", serviceID, "-f", "value", "-c", "Threshold ID"]).output)
        let recosted = try ck("hashmap", "threshold", "update", "--cost", "0.6", thresholdID)
        #expect(recosted.contains("0.6") && recosted.contains(thresholdID), "\(recosted)")
        #expect(try serve.cloudkitty(["hashmap", "threshold", "list", "-s", serviceID, "-f", "value", "-c", "Threshold ID", "-c", "Cost"]).output
                    .trimmingCharacters(in: .whitespacesAndNewlines) == "\(thresholdID) 0.6")
        #expect(try ck("hashmap", "group", "mappings", "get", groupID).contains("m1.large"))

        // CloudKitty's 409 on a duplicate, and no update of a started mapping.
        let duplicate = try serve.cloudkitty(["hashmap", "service", "create", "instance"])
        #expect(duplicate.status != 0, "\(duplicate.output)")
        let largeID = ExternalCommand.firstLine(try serve.cloudkitty(["hashmap", "mapping", "list", "--field-id", fieldID, "-f", "value", "-c", "Mapping ID", "-c", "Value"]).output
            .split(separator: "\n").first { $0.contains("m1.large") }.map { String($0.split(separator: " ")[0]) } ?? "")
        #expect(!largeID.isEmpty)
        let update = try serve.cloudkitty(["hashmap", "mapping", "update", largeID, "--cost", "0.2"])
        #expect(update.status != 0 && update.output.contains("You are allowed to update only the attribute [end] as this rule is already running"), "\(update.output)")
        // A mapping that has not started may be changed; a past start needs force (which the client cannot send).
        let tomorrow = Timestamps.iso8601(WallClock.now() + TimeSpan.days(1))
        _ = try ck("hashmap", "mapping", "create", "--field-id", fieldID, "--value", "m1.tiny", "-t", "flat", "-g", groupID,
                   "--name", "m1-tiny", "--start", tomorrow, "0.01")
        let tinyID = try serve.cloudkitty(["hashmap", "mapping", "list", "--field-id", fieldID, "-f", "value", "-c", "Mapping ID", "-c", "Value"]).output
            .split(separator: "\n").first { $0.contains("m1.tiny") }.map { String($0.split(separator: " ")[0]) } ?? ""
        let changed = try ck("hashmap", "mapping", "update", tinyID, "--cost", "0.02")
        #expect(changed.contains("0.02"), "\(changed)")
        let past = try serve.cloudkitty(["hashmap", "mapping", "create", "--field-id", fieldID, "--value", "m1.huge", "-t", "flat",
                                         "--start", "2020-01-01", "1"])
        #expect(past.status != 0 && past.output.contains("past-start-without-force"), "\(past.output)")
        _ = try ck("hashmap", "mapping", "delete", largeID)
        #expect(!(try ck("hashmap", "mapping", "list", "--field-id", fieldID)).contains("m1.large"))
        let deleted = try await serve.request("GET", "/v1/rating/module_config/hashmap/mappings?field_id=\(fieldID)&deleted=true")
        #expect(deleted.status == 200 && deleted.body.contains("\"deleted_by\":\"unknown\"") && deleted.body.contains(largeID), "\(deleted.body)")

        // Modules: priority and enable are module events too.
        _ = try ck("module", "set", "priority", "hashmap", "5")
        #expect(try ck("module", "get", "hashmap").contains("5"))
        let modulesV2 = try serve.cloudkitty(["module", "list"], apiVersion: "2")
        #expect(modulesV2.status == 0 && modulesV2.output.contains("noop"), "\(modulesV2.output)")

        // The log holds the same rules, authored "unknown" as CloudKitty's noauth.
        let log = try TallyProcess.run(["rules", "log", "--config", config])
        #expect(log.status == 0 && log.output.contains("unknown  create mapping 'm1-small'") && log.output.contains("delete mapping 'm1-large'"), "\(log.output)")
        // The client's PUT is followed by keystoneauth's re-sent PUT: still one update event.
        #expect(log.output.components(separatedBy: "update mapping 'm1-tiny'").count == 2, "\(log.output)")
        let show = try TallyProcess.run(["rules", "show", "--config", config])
        #expect(show.output.contains("id: \"m1-small\", value: \"m1.small\", type: flat, cost: 0.025") && !show.output.contains("m1-large"), "\(show.output)")
        #expect(show.output.contains("id: \"m1-tiny\", value: \"m1.tiny\", type: flat, cost: 0.02"), "\(show.output)")
        let quote = try TallyProcess.run(["quote", "--config", config, "--metric", "instance", "--qty", "4", "--meta", "flavor_name=m1.small"])
        #expect(quote.status == 0 && quote.output.contains("price: 0.1\n"), "\(quote.output)")
        let apiQuote = try await serve.request("POST", "/v1/rating/quote", json: """
            {"resources":[{"service":"instance","volume":"4","desc":{"groupby":{"flavor_name":"m1.small"},"metadata":{}}}]}
            """)
        #expect(apiQuote.status == 200 && apiQuote.body == "0.1", "\(apiQuote.body)")

        // `/v1/billing` is the old name of `/v1/rating`.
        let rating = try await serve.request("GET", "/v1/rating/module_config/hashmap/services")
        let billing = try await serve.request("GET", "/v1/billing/module_config/hashmap/services")
        #expect(billing.status == 200 && billing.body == rating.body && rating.body.contains(serviceID), "\(billing.body)")

        // Ids are derived from the log: the same after a restart.
        let before = try await serve.request("GET", "/v1/rating/module_config/hashmap/mappings?field_id=\(fieldID)&all=true")
        serve.stop()
        serve = try ServeSession(config: config, directory: fixture.directory)
        let after = try await serve.request("GET", "/v1/rating/module_config/hashmap/mappings?field_id=\(fieldID)&all=true")
        #expect(after.status == 200 && after.body == before.body, "\(before.body)\n\(after.body)")
    }
}
