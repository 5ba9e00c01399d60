import Foundation
import Testing
import TallyAudit
import TallyCore

/// The audit API and the dashboard against real `tally run` + `tally serve` processes and the
/// broker (token auth): a reader's trace and rule-log answers are limited to their project and
/// global rules; a candidate price list's dry run names each project's difference, which its
/// apply then bills (correction revisions); the pages, read back with headless Chromium, show
/// the API's numbers, only the reader's projects, and both revisions of a corrected charge.
/// A screenshot of each page is kept under .build/test-output/dashboard.
@Suite(.serialized) struct DashboardEndToEndTests {
    @Test func auditAPIAndDashboardPages() async throws {
        let (fixture, start) = try ReplayEndToEndTests.ratedFixture(seed: 41)
        try (String(contentsOfFile: fixture.configPath, encoding: .utf8) + "\napi: {auth: token, tokens_file: tokens.json, index_path: index}\n")
            .write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let ledger = try fixture.frames()
        let scopes = Set(ledger.latest.values.map(\.scope)).sorted()
        #expect(scopes.count == 2)
        let (mine, theirs) = (scopes[0], scopes[1])
        let currency = try #require(ledger.latest.values.first).currency
        func token(_ args: [String]) throws -> String {
            let result = try TallyProcess.run(["tokens", "create", "--config", fixture.configPath] + args)
            return try #require(result.output.split(separator: "\n").first { $0.hasPrefix("tally_") }.map(String.init), "\(result.output)")
        }
        let admin = ["Authorization": "Bearer " + (try token(["--role", "admin", "--name", "ops@example.com"]))]
        let readerToken = try token(["--role", "reader", "--project", mine])
        let reader = ["Authorization": "Bearer " + readerToken]
        let serve = try ServeSession(config: fixture.configPath, directory: fixture.directory)
        defer { serve.stop() }
        let deadline = Date().addingTimeInterval(60)
        while try await serve.request("GET", "/readyz").status != 200 && Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }

        // Trace: a reader gets their frame's, and 404 for another project's.
        // Instance frames: a mapping prices them, so their trace names rule events.
        func instanceFrame(_ scope: String) throws -> String {
            try #require(ledger.latest.values.filter { $0.scope == scope && $0.metric == "instance" }.map(\.frameId).min())
        }
        let (myFrame, theirFrame) = (try instanceFrame(mine), try instanceFrame(theirs))
        let trace = try await serve.request("GET", "/tally/v1/trace/\(myFrame)", headers: reader)
        let traced = try Self.object(trace.body)
        #expect(trace.status == 200 && traced["frame_id"] as? String == myFrame, "\(trace.body)")
        #expect((traced["revisions"] as? [Any])?.count == 1 && !((traced["samples"] as? [Any]) ?? []).isEmpty)
        #expect(!((traced["arithmetic"] as? [Any]) ?? []).isEmpty && !((traced["rules"] as? [Any]) ?? []).isEmpty, "\(trace.body)")
        #expect(try await serve.request("GET", "/tally/v1/trace/\(theirFrame)", headers: reader).status == 404)
        #expect(try await serve.request("GET", "/tally/v1/trace/\(theirFrame)", headers: admin).status == 200)
        #expect(try await serve.request("GET", "/tally/v1/trace/\(myFrame)").status == 401)

        // A backdated price for vCPUs: the dry run's difference per project is what the apply then bills.
        let period = "begin=\(Timestamps.iso8601(start - TimeSpan.hours(1)))&end=\(Timestamps.iso8601(start + TimeSpan.hours(12)))"
        let candidate = EndToEndFixture.rules + "  vcpus:\n    mappings:\n      - {id: vcpu-base, type: flat, cost: 0.01, group: compute}\n"
        let request = try String(decoding: JSONSerialization.data(withJSONObject: [
            "rules": candidate, "at": Timestamps.iso8601(start - TimeSpan.hours(1)), "force": true,
            "from": Timestamps.iso8601(start - TimeSpan.hours(1)), "to": Timestamps.iso8601(start + TimeSpan.hours(12)),
            "reason": "vCPUs priced from the start",
        ]), as: UTF8.self)
        #expect(try await serve.request("POST", "/tally/v1/impact", json: request, headers: reader).status == 403)
        let dry = try await serve.request("POST", "/tally/v1/impact", json: request, headers: admin)
        let dryRun = try Self.object(dry.body)
        #expect(dry.status == 200 && dryRun["would_be_accepted"] as? Bool == true, "\(dry.body)")
        let impactScopes = try #require((dryRun["impact"] as? [String: Any])?["scopes"] as? [[String: Any]], "\(dry.body)")
        let before = try await Self.totals(serve, period, headers: admin)
        #expect(Set(impactScopes.compactMap { $0["scope"] as? String }) == Set(scopes))
        #expect(impactScopes.allSatisfy { ($0["old_total"] as? String).flatMap(ExactDecimal.init) == before[$0["scope"] as? String ?? ""] }, "\(dry.body)")
        let applied = try await serve.request("POST", "/tally/v1/impact/apply", json: request, headers: admin)
        #expect(applied.status == 202 && applied.body.contains("\"author\":\"ops@example.com\""), "\(applied.body)")
        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(run.status == 0, "\(run.output)")
        let corrected = try #require(try fixture.frames().latest.values.first { $0.scope == mine && $0.metric == "vcpus" && $0.revision == 2 },
                                     "the apply corrected no vCPU frame")
        // The index follows the frames topic: wait until it has the correction.
        while try await serve.request("GET", "/tally/v1/frames/\(corrected.frameId)", headers: admin).body.contains("\"revision\":2") == false
            && Date() < deadline.addingTimeInterval(120) { try await Task.sleep(nanoseconds: 100_000_000) }
        let after = try await Self.totals(serve, period, headers: admin)
        for row in impactScopes {
            let scope = try #require(row["scope"] as? String), difference = try #require((row["difference"] as? String).flatMap(ExactDecimal.init))
            #expect(difference > .zero && after[scope] == before[scope].map { $0 + difference }, "\(scope): \(String(describing: before[scope])) + \(difference) ≠ \(String(describing: after[scope]))")
        }

        // A tenant rule of the other project: admins see it in the events, the book and the diff; the reader does not.
        let services = try await serve.request("GET", "/v1/rating/module_config/hashmap/services", headers: admin)
        let serviceID = try #require(((try Self.object(services.body))["services"] as? [[String: Any]])?
            .first { $0["name"] as? String == "volume.size" }?["service_id"] as? String)
        let tenantRule = try await serve.request("POST", "/v1/rating/module_config/hashmap/mappings", json: """
            {"service_id":"\(serviceID)","type":"flat","cost":"0.5","tenant_id":"\(theirs)","name":"their-volume-deal"}
            """, headers: admin)
        #expect(tenantRule.status == 201, "\(tenantRule.body)")
        let adminEvents = try await serve.request("GET", "/tally/v1/rules/events", headers: admin)
        let readerEvents = try await serve.request("GET", "/tally/v1/rules/events", headers: reader)
        #expect(adminEvents.body.contains("their-volume-deal") && adminEvents.body.contains("\"author\":\"ops@example.com\""), "\(adminEvents.body)")
        #expect(adminEvents.body.contains("\"signature_trusted\":true"), "the API's own event is signed by the service")
        #expect(readerEvents.status == 200 && !readerEvents.body.contains("their-volume-deal") && !readerEvents.body.contains(theirs))
        let readerEventList = try #require((try Self.object(readerEvents.body))["events"] as? [[String: Any]])
        #expect(!readerEventList.isEmpty && readerEventList.allSatisfy { $0["recorded_at"] is String && $0["effective_at"] is String && $0["reason"] is String })
        let adminBook = try await serve.request("GET", "/tally/v1/rules/book", headers: admin)
        let readerBook = try await serve.request("GET", "/tally/v1/rules/book", headers: reader)
        #expect(adminBook.body.contains("their-volume-deal") && adminBook.body.contains("m1-small"), "\(adminBook.body)")
        #expect(readerBook.status == 200 && !readerBook.body.contains("their-volume-deal") && readerBook.body.contains("m1-small"), "\(readerBook.body)")
        let last = try #require(adminEventsLastOffset(adminEvents.body))
        let diff = try await serve.request("GET", "/tally/v1/rules/diff?from=\(last - 1)&to=\(last)", headers: admin)
        #expect(diff.body.contains("\"change\":\"added\"") && diff.body.contains("their-volume-deal"), "\(diff.body)")
        let readerDiff = try await serve.request("GET", "/tally/v1/rules/diff?from=\(last - 1)&to=\(last)", headers: reader)
        #expect(readerDiff.status == 200 && !readerDiff.body.contains("their-volume-deal"), "\(readerDiff.body)")
        let verify = try Self.object(try await serve.request("GET", "/tally/v1/rules/verify", headers: reader).body)
        #expect(verify["intact"] as? Bool == true && verify["problem"] is NSNull, "\(verify)")

        // The pages, as a browser shows them.
        let output = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/test-output/dashboard")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let adminToken = String(admin["Authorization"]!.dropFirst("Bearer ".count))
        func page(_ query: String, token: String, shot: String) throws -> String {
            let url = "\(serve.url)/?\(query)&token=\(token)"
            try HeadlessChromium.screenshot(url, to: output.appendingPathComponent(shot + ".png"))
            return try HeadlessChromium.dumpDOM(url)
        }
        let overview = try page("page=overview&\(period)", token: adminToken, shot: "overview")
        let total = try await serve.request("GET", "/v1/report/total?\(period)", headers: admin)
        let overviewFigures = HeadlessChromium.figures(overview)
        #expect(overviewFigures["total-\(currency)"].flatMap(ExactDecimal.init) == ExactDecimal(try Self.string(total.body)), "\(overviewFigures)")
        // Shown rounded to the currency's minor unit, as `tally report` prints it; exact in data-exact.
        let shownTotal = HeadlessChromium.numbers(overview)["total-\(currency)"]
        var exactTotal = ExactSum()
        exactTotal.add(try #require(ExactDecimal(try Self.string(total.body))))
        #expect(shownTotal?.shown == exactTotal.rounded(toDecimals: CurrencyMinorUnits.decimals(for: currency)), "\(String(describing: shownTotal))")
        let report = try Self.object(try await serve.request("GET", "/tally/v1/report?\(period)&scope=\(mine)&group_by=metric", headers: admin).body)
        let project = HeadlessChromium.figures(try page("page=project&project=\(mine)&\(period)", token: adminToken, shot: "project"))
        let rows = try #require(report["rows"] as? [[String: Any]])
        #expect(!rows.isEmpty)
        for row in rows {
            let metric = try #require(row["group"] as? String)
            #expect(project["metric-\(metric)"].flatMap(ExactDecimal.init) == (row["price"] as? String).flatMap(ExactDecimal.init), "\(metric): \(project)")
        }
        #expect(project["total-\(currency)"].flatMap(ExactDecimal.init) == after[mine], "\(project)")

        let readerOverview = try page("page=overview&\(period)", token: readerToken, shot: "overview-reader")
        #expect(readerOverview.contains(mine) && !readerOverview.contains(theirs), "a reader's overview names another project")
        let readerTotal = try await serve.request("GET", "/v1/report/total?\(period)", headers: reader)
        #expect(HeadlessChromium.figures(readerOverview)["total-\(currency)"].flatMap(ExactDecimal.init) == ExactDecimal(try Self.string(readerTotal.body)))
        let readerProject = try page("page=project&project=\(theirs)&\(period)", token: readerToken, shot: "project-reader-denied")
        #expect(readerProject.contains("403") && !readerProject.contains("data-num"), "a reader opened another project's bill")
        let readerTrace = try page("page=trace&frame=\(theirFrame)", token: readerToken, shot: "trace-reader-denied")
        #expect(readerTrace.contains("404") && !readerTrace.contains("data-num"))

        let tracePage = HeadlessChromium.figures(try page("page=trace&frame=\(corrected.frameId)", token: readerToken, shot: "trace-corrected"))
        #expect(tracePage["revision-1"] == "1" && tracePage["revision-2"] == "2", "\(tracePage)")
        #expect(tracePage["price-2"].flatMap(ExactDecimal.init) == corrected.price && tracePage["delta-2"].flatMap(ExactDecimal.init).map { $0 > .zero } == true)
        let rulesPage = try page("page=rules&from=\(last - 1)&to=\(last)", token: readerToken, shot: "rules-reader")
        #expect(rulesPage.contains("vCPUs priced from the start") && rulesPage.contains("intact") && !rulesPage.contains("their-volume-deal"))
        let adminRules = try page("page=rules&from=\(last - 1)&to=\(last)", token: adminToken, shot: "rules")
        #expect(adminRules.contains("their-volume-deal") && adminRules.contains("added"))
        let impact = try page("page=impact", token: adminToken, shot: "impact")
        #expect(impact.contains("vcpu-base") && impact.contains("Dry run"), "the impact form is prefilled with the rules in force")
        #expect(try page("page=impact", token: readerToken, shot: "impact-reader-denied").contains("403"))
    }

    /// Each project's billed total over the period, from the API (`/tally/v1/report`).
    static func totals(_ serve: ServeSession, _ period: String, headers: [String: String]) async throws -> [String: ExactDecimal] {
        let report = try object(try await serve.request("GET", "/tally/v1/report?\(period)", headers: headers).body)
        var out: [String: ExactDecimal] = [:]
        for row in report["rows"] as? [[String: Any]] ?? [] {
            if let scope = row["scope"] as? String, let price = (row["price"] as? String).flatMap(ExactDecimal.init) { out[scope] = price }
        }
        return out
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text.prefix(500))")
    }

    static func string(_ text: String) throws -> String {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) as? String, "not a JSON string: \(text)")
    }
}

private func adminEventsLastOffset(_ body: String) -> Int? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return nil }
    return (object["events"] as? [[String: Any]])?.compactMap { $0["offset"] as? Int }.max()
}
