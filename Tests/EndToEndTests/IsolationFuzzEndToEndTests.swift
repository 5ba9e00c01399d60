import Foundation
import Testing
import TallyCore
import TallySeededRandom

/// Issue 11 item 4, tenant isolation on the endpoints of the rules side: random readers send
/// random requests (hashmap configuration with every filter, modules, reprocessing, quotes
/// naming random projects) and never obtain another project's numbers. Each project has its
/// own tenant mapping with a price no other answer can contain; a reader's quote uses their
/// own tenant's rules, and naming another project is 403. (The frames/summary endpoints of the
/// read side join this fuzz when they land.)
@Suite(.serialized) struct IsolationFuzzEndToEndTests {
    typealias SplitMix = SplitMix64

    @Test func aReaderNeverObtainsAnotherProjectsNumbers() async throws {
        let fixture = try EndToEndFixture()
        let config = try RuleLogEndToEndTests.writeConfigWithoutRulesFile(fixture, state: "state-isolation")
        try (String(contentsOfFile: config, encoding: .utf8) + "\napi: {auth: token, tokens_file: tokens.json}\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        func token(_ args: [String]) throws -> String {
            let result = try TallyProcess.run(["tokens", "create", "--config", config] + args)
            return result.output.split(separator: "\n").first { $0.hasPrefix("tally_") }.map(String.init) ?? ""
        }
        let admin = try token(["--role", "admin", "--name", "ops"])
        // Each project's tenant mapping adds a price that appears nowhere else.
        let projects = ["aurora": "7100", "borealis": "7200", "cyan": "7300"]
        let readers: [(token: String, projects: Set<String>)] = [
            (try token(["--role", "reader", "--project", "aurora"]), ["aurora"]),
            (try token(["--role", "reader", "--project", "borealis"]), ["borealis"]),
            (try token(["--role", "reader", "--project", "aurora", "--project", "cyan"]), ["aurora", "cyan"]),
        ]
        let serve = try ServeSession(config: config, directory: fixture.directory)
        defer { serve.stop() }
        let auth = ["Authorization": "Bearer " + admin]
        let hashmap = "/v1/rating/module_config/hashmap"
        func id(_ body: String, _ key: String) throws -> String {
            try #require((try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?[key] as? String)
        }
        let serviceID = try id(try await serve.request("POST", "\(hashmap)/services", json: #"{"name":"instance"}"#, headers: auth).body, "service_id")
        let fieldID = try id(try await serve.request("POST", "\(hashmap)/fields", json: #"{"service_id":"\#(serviceID)","name":"flavor_name"}"#,
                                                     headers: auth).body, "field_id")
        let groupID = try id(try await serve.request("POST", "\(hashmap)/groups", json: #"{"name":"tenant"}"#, headers: auth).body, "group_id")
        let global = try await serve.request("POST", "\(hashmap)/mappings", json: """
            {"field_id":"\(fieldID)","value":"m1.small","type":"flat","cost":"1","name":"global-small"}
            """, headers: auth)
        #expect(global.status == 201, "\(global.body)")
        for (project, price) in projects {
            let created = try await serve.request("POST", "\(hashmap)/mappings", json: """
                {"field_id":"\(fieldID)","value":"m1.small","type":"flat","cost":"\(price)","group_id":"\(groupID)","tenant_id":"\(project)","name":"\(project)-small"}
                """, headers: auth)
            #expect(created.status == 201, "\(created.body)")
        }
        let adminQuote = try await serve.request("POST", "/v1/rating/quote", json: Self.quote(project: nil), headers: auth)
        #expect(adminQuote.body == "1", "admin quotes the global rules only: \(adminQuote.body)")

        let paths = ["\(hashmap)/services", "\(hashmap)/fields?service_id=\(serviceID)", "\(hashmap)/groups",
                     "\(hashmap)/mappings?field_id=\(fieldID)", "\(hashmap)/mappings?field_id=\(fieldID)&all=true",
                     "\(hashmap)/thresholds?service_id=\(serviceID)", "\(hashmap)/groups/mappings?group_id=\(groupID)",
                     "/v1/rating/modules", "/v2/rating/modules", "/v2/task/reprocesses"]
        var random = SplitMix(state: 11)
        var answered = 0
        for _ in 0..<120 {
            let reader = readers.randomElement(using: &random)!
            let forbidden = projects.filter { !reader.projects.contains($0.key) }.map(\.value)
            let headers = ["Authorization": "Bearer " + reader.token]
            let response: (status: Int, body: String)
            var expectedPrice: String?
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                var path = paths.randomElement(using: &random)!
                if path.contains("/mappings") || path.contains("/thresholds") {
                    let other = projects.keys.randomElement(using: &random)!
                    path += "&filter_tenant=true&tenant_id=\(other)"
                }
                response = try await serve.request("GET", path, headers: headers)
                if path.hasPrefix("/v2/rating/modules") { #expect(response.status == 200) } else { #expect(response.status == 403, "\(path)") }
            case 1:
                let project = Bool.random(using: &random) ? projects.keys.randomElement(using: &random)! : nil
                response = try await serve.request("POST", "/v1/rating/quote", json: Self.quote(project: project), headers: headers)
                if let project, !reader.projects.contains(project) {
                    #expect(response.status == 403, "\(response.body)")
                } else if let own = project ?? (reader.projects.count == 1 ? reader.projects.first : nil) {
                    expectedPrice = String(Int(projects[own]!)! + 1)
                } else {
                    expectedPrice = "1"
                }
            default:
                response = try await serve.request("POST", "/v2/task/reprocesses", json: #"{"scope_ids":"ALL","reason":"x","start_reprocess_time":"2026-01-01","end_reprocess_time":"2026-01-02","dry_run":true}"#,
                                                   headers: headers)
                #expect(response.status == 403)
            }
            if let expectedPrice {
                #expect(response.status == 200 && response.body == expectedPrice, "\(reader.projects): \(response.body)")
                answered += 1
            }
            for number in forbidden {
                #expect(!response.body.contains(number), "a reader of \(reader.projects) obtained \(number): \(response.body)")
            }
        }
        #expect(answered > 10)
    }

    static func quote(project: String?) -> String {
        let groupby = project.map { #","project_id":"\#($0)""# } ?? ""
        return #"{"resources":[{"service":"instance","volume":"1","desc":{"groupby":{"flavor_name":"m1.small"\#(groupby)},"metadata":{}}}]}"#
    }
}
