import Foundation
import Testing
import TallyCore

/// Issue 11 item 4, tenant isolation on the read side: a real `tally run` rates two projects,
/// `tally serve` (token auth) indexes the frames, and random readers send random requests
/// (every read endpoint, with random tenant filters, groupbys and frame ids) and never obtain
/// the other project's scope id or a total that includes its numbers.
@Suite(.serialized) struct ReadIsolationFuzzEndToEndTests {
    @Test func aReaderNeverObtainsAnotherProjectsFrames() async throws {
        let (fixture, start) = try ReplayEndToEndTests.ratedFixture(seed: 31)
        try (String(contentsOfFile: fixture.configPath, encoding: .utf8) + "\napi: {auth: token, tokens_file: tokens.json, index_path: index}\n")
            .write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let ledger = try fixture.frames()
        var billed: [String: ExactDecimal] = [:]
        for entry in ledger.latest.values { billed[entry.scope, default: .zero] = billed[entry.scope, default: .zero] + entry.price }
        let scopes = billed.keys.sorted()
        #expect(scopes.count == 2)
        let framesOf = Dictionary(grouping: ledger.latest.values, by: \.scope).mapValues { $0.map(\.frameId) }

        func token(_ project: String) throws -> String {
            let result = try TallyProcess.run(["tokens", "create", "--config", fixture.configPath, "--role", "reader", "--project", project])
            return result.output.split(separator: "\n").first { $0.hasPrefix("tally_") }.map(String.init) ?? ""
        }
        let readers = try scopes.map { (scope: $0, token: try token($0)) }
        let serve = try ServeSession(config: fixture.configPath, directory: fixture.directory)
        defer { serve.stop() }
        let deadline = Date().addingTimeInterval(60)
        while try await serve.request("GET", "/readyz").status != 200 && Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }

        let begin = Timestamps.iso8601(start - TimeSpan.hours(1)), end = Timestamps.iso8601(start + TimeSpan.hours(12))
        let range = "begin=\(begin)&end=\(end)"
        var random = IsolationFuzzEndToEndTests.SplitMix(state: 97)
        var answered = 0
        for _ in 0..<150 {
            let reader = readers.randomElement(using: &random)!
            let other = scopes.first { $0 != reader.scope }!
            let anyScope = scopes.randomElement(using: &random)!
            let groupbys = ["project_id", "tenant_id", "type", "id", "time", "time-d", "time-m", "user_id", "flavor_name"]
            let groupby = (0..<Int.random(in: 0...3, using: &random)).map { _ in groupbys.randomElement(using: &random)! }
            let groupQuery = groupby.map { "&groupby=\($0)" }.joined()
            let filter = Bool.random(using: &random) ? "&filters=project_id:\(anyScope)" : (Bool.random(using: &random) ? "&filters=type:instance" : "")
            let tenant = Bool.random(using: &random) ? "&tenant_id=\(anyScope)" : ""
            let frame = framesOf[anyScope]!.randomElement(using: &random)!
            let paths = [
                "/v1/report/summary?\(range)\(tenant)&groupby=tenant_id,res_type",
                "/v1/report/total?\(range)\(tenant)",
                "/v1/report/total?\(range)&all_tenants=true",
                "/v1/report/tenants?\(range)",
                "/v1/storage/dataframes?\(range)\(tenant)",
                "/v2/summary?\(range)\(groupQuery)\(filter)&response_format=\(Bool.random(using: &random) ? "object" : "table")",
                "/v2/dataframes?\(range)\(filter)&limit=1000",
                "/v2/scope",
                "/tally/v1/frames?scope=\(anyScope)&\(range)&revisions=true",
                "/tally/v1/frames/\(frame)",
            ]
            let path = paths.randomElement(using: &random)!
            let response = try await serve.request("GET", path, headers: ["Authorization": "Bearer " + reader.token])
            #expect(!response.body.contains(other), "a reader of \(reader.scope) obtained \(other) from \(path): \(response.body.prefix(400))")
            if response.status == 200 { answered += 1 }
            // Totals that could only be the other project's, or both, never appear either.
            for figure in [billed[other]!, billed[other]! + billed[reader.scope]!] where response.status == 200 {
                #expect(!response.body.contains("\"\(figure.canonicalText)\""), "\(path): \(response.body.prefix(400))")
            }
        }
        #expect(answered > 30)
        // The numbers a reader gets are their own.
        for reader in readers {
            let total = try await serve.request("GET", "/v1/report/total?\(range)", headers: ["Authorization": "Bearer " + reader.token])
            #expect(total.status == 200 && total.body.contains(billed[reader.scope]!.canonicalText), "\(total.body) vs \(billed[reader.scope]!)")
        }
    }
}
