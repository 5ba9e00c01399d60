import Foundation
import Testing
import TallyCore
import TallyRuntime
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 11 items 1–2: a real `tally run` on the broker, `tally serve` indexing its frames
/// topic, and a session of CloudKitty's own client (python-cloudkittyclient 6.2.0) whose
/// numbers must equal `tally report`'s; then the index resumes after a restart without
/// reading a record twice, and a deleted index is rebuilt to the same content.
@Suite(.serialized) struct ServeCloudKittyEndToEndTests {
    @Test func theCloudKittyClientReadsWhatTallyReportBills() async throws {
        let (fixture, start) = try ReplayEndToEndTests.ratedFixture(seed: 23)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: fixture.configPath))
        handle.seekToEndOfFile()
        handle.write(Data("\napi: {auth: noauth, index_path: index}\n".utf8))
        try handle.close()
        let ledger = try fixture.frames()
        let begin = Timestamps.iso8601(start - TimeSpan.hours(1)), end = Timestamps.iso8601(start + TimeSpan.hours(12))

        let report = try ReplayEndToEndTests.json(try TallyProcess.run(
            ["report", "--config", fixture.configPath, "--from", begin, "--to", end, "--format", "json"]).output)
        let rows = try #require(report["rows"] as? [[String: Any]])
        let billed = Dictionary(uniqueKeysWithValues: rows.map { ($0["scope"] as! String, $0["price"] as! String) })
        let total = try #require((report["totals"] as? [[String: Any]])?.first?["price"] as? String)
        #expect(billed.count == 2)

        var serve = try Served(config: fixture.configPath, directory: fixture.directory)
        defer { serve.stop() }
        let metricsBefore = try await serve.untilReady()

        // v1, exact strings: the summary per tenant and the total.
        let v1 = try CloudKitty.run(url: serve.url, ["--os-rating-api-version", "1", "summary", "get", "-g", "tenant_id",
                                                      "-b", begin, "-e", end, "-f", "json"])
        let v1Rows = try #require(try JSONSerialization.jsonObject(with: Data(v1.utf8)) as? [[String: Any]], "\(v1)")
        let v1Rates = Dictionary(uniqueKeysWithValues: v1Rows.map { ($0["Tenant ID"] as! String, $0["Rate"] as! String) })
        #expect(v1Rates.mapValues { ExactDecimal($0) } == billed.mapValues { ExactDecimal($0) }, "\(v1) vs \(billed)")
        let totalOut = try CloudKitty.run(url: serve.url, ["--os-rating-api-version", "1", "total", "get", "-b", begin, "-e", end, "-f", "json"])
        let totalValue = try #require((try JSONSerialization.jsonObject(with: Data(totalOut.utf8)) as? [String: Any])?["Total"] as? Double)
        #expect(totalValue == Double(total), "\(totalOut) vs \(total)")

        // v2 (the client's default): the summary grouped by project, and by type.
        let v2 = try CloudKitty.run(url: serve.url, ["summary", "get", "-g", "project_id", "-b", begin, "-e", end, "-f", "json"])
        let v2Rows = try #require(try JSONSerialization.jsonObject(with: Data(v2.utf8)) as? [[String: Any]], "\(v2)")
        #expect(Dictionary(uniqueKeysWithValues: v2Rows.map { ($0["Project id"] as! String, ($0["Rate"] as! NSNumber).doubleValue) })
                == billed.mapValues { Double($0)! }, "\(v2)")
        let byType = try CloudKitty.run(url: serve.url, ["summary", "get", "-g", "type", "-b", begin, "-e", end, "-f", "json"])
        let typeRows = try #require(try JSONSerialization.jsonObject(with: Data(byType.utf8)) as? [[String: Any]], "\(byType)")
        let metrics = Set(ledger.latest.values.map(\.metric))
        #expect(Set(typeRows.map { $0["Type"] as! String }) == metrics, "\(byType)")
        // The exact figures over HTTP: the v2 number text is the exact sum.
        let raw = try await HTTP.get(serve.url + "/v2/summary?begin=\(begin)&end=\(end)&groupby=project_id&response_format=object")
        for (scope, price) in billed { #expect(raw.body.contains("\"rate\":\(ExactDecimal(price)!.canonicalText),\"project_id\":\"\(scope)\""), "\(raw.body)") }

        // Imported rated data (`dataframes add`) is kept apart: marked, readable, never billed.
        let file = fixture.directory.appendingPathComponent("imported.json")
        try """
        {"dataframes":[{"period":{"begin":"\(begin)","end":"\(end)"},"usage":{"instance":[{"vol":{"unit":"instance","qty":2},\
        "rating":{"price":0.1},"groupby":{"project_id":"migrated-project","id":"vm-x"},"metadata":{}}]}},\
        {"period":{"begin":"20190723T122810Z","end":"20190723T132810Z"},"usage":{"metric_one":[{"vol":{"unit":"GiB","qty":1.2},\
        "rating":{"price":0.04},"groupby":{"project_id":"migrated-project"},"metadata":{}}]}}]}
        """.write(to: file, atomically: true, encoding: .utf8)
        _ = try CloudKitty.run(url: serve.url, ["dataframes", "add", file.path])
        let imported = try await HTTP.get(serve.url + "/tally/v1/imported?begin=\(begin)&end=\(end)").body
        #expect(imported.contains(#""source":"imported""#) && imported.contains(#""price":0.1"#) && imported.contains(#""total":1"#), "\(imported)")
        // ISO 8601's basic format (the client's own fixture) is read as CloudKitty reads it.
        let basic = try await HTTP.get(serve.url + "/tally/v1/imported?begin=2019-07-23T00:00:00Z&end=2019-07-24T00:00:00Z").body
        #expect(basic.contains(#""begin":"2019-07-23T12:28:10Z","end":"2019-07-23T13:28:10Z""#) && basic.contains(#""total":1"#), "\(basic)")
        let after = try await HTTP.get(serve.url + "/v2/summary?begin=\(begin)&end=\(end)&groupby=project_id").body
        #expect(!after.contains("migrated-project"), "\(after)")

        // Tenants, dataframes, info, scope state.
        let tenants = try CloudKitty.run(url: serve.url, ["report", "tenant", "list", "-b", begin, "-e", end, "-f", "value"])
        #expect(Set(tenants.split(separator: "\n").map(String.init)) == Set(billed.keys), "\(tenants)")
        let frames = try CloudKitty.run(url: serve.url, ["dataframes", "get", "-b", begin, "-e", end, "--limit", "100000", "-f", "json"])
        let points = try #require(try JSONSerialization.jsonObject(with: Data(frames.utf8)) as? [[String: Any]])
        #expect(points.count == ledger.latest.count)
        let pointSum = points.reduce(ExactDecimal.zero) { $0 + ExactDecimal(String(describing: $1["Price"]!))! }
        #expect(Double(pointSum.canonicalText) == Double(total))
        let info = try CloudKitty.run(url: serve.url, ["info", "metric", "list", "-f", "value", "-c", "Metric"])
        #expect(Set(info.split(separator: "\n").map(String.init)).isSuperset(of: metrics), "\(info)")
        let scopes = try CloudKitty.run(url: serve.url, ["scope", "state", "get", "-f", "value", "-c", "Scope ID"])
        #expect(Set(scopes.split(separator: "\n").map(String.init)) == Set(billed.keys), "\(scopes)")

        // Restart: the index resumes at its stored offsets (no record read twice), same frames.
        let framesBefore = try await HTTP.get(serve.url + "/tally/v1/frames?begin=\(begin)&end=\(end)&revisions=true").body
        serve.stop()
        serve = try Served(config: fixture.configPath, directory: fixture.directory)
        let metricsAfter = try await serve.untilReady()
        #expect(Self.sample("tally_index_records_total", metricsAfter) == Self.sample("tally_index_records_total", metricsBefore))
        #expect(Self.sample("tally_index_frames", metricsAfter) == Double(ledger.latest.count))
        // One commit-latency observation per batch indexed: some before, none after the restart.
        RaterMetricsEndToEndTests.checkHistogram("tally_index_commit_duration_seconds", metricsBefore)
        #expect(Self.sample("tally_index_commit_duration_seconds_count", metricsBefore) == Self.sample("tally_index_batches_total", metricsBefore))
        #expect(Self.sample("tally_index_commit_duration_seconds_count", metricsAfter) == 0, "\(metricsAfter)")
        #expect(try await HTTP.get(serve.url + "/tally/v1/frames?begin=\(begin)&end=\(end)&revisions=true").body == framesBefore)

        // Rebuild: a deleted index is read again from the topic to the same content.
        serve.stop()
        try FileManager.default.removeItem(at: fixture.directory.appendingPathComponent("index"))
        serve = try Served(config: fixture.configPath, directory: fixture.directory)
        _ = try await serve.untilReady()
        #expect(try await HTTP.get(serve.url + "/tally/v1/frames?begin=\(begin)&end=\(end)&revisions=true").body == framesBefore)
    }

    /// Issue 11 item 5: `tally demo --serve` ends by serving the API over the demo's data.
    @Test func theDemoEndsServingTheAPIOverItsBill() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-demo-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("demo.log")
        let process = try TallyProcess.start(["demo", "--serve", "127.0.0.1:0"], log: log)
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let url = try ServeProcess.waitForURL(log: log, process: process, timeout: 300)
        let output = try String(contentsOf: log, encoding: .utf8)
        #expect(output.contains("tally demo: the API is running at \(url)"))
        let served = Served(process: process, url: url)
        _ = try await served.untilReady()
        let day = EventTime(micros: (WallClock.now().micros / 86_400_000_000 - 1) * 86_400_000_000)
        let tenants = try await HTTP.get(url + "/v1/report/tenants?begin=\(Timestamps.iso8601(day))&end=\(Timestamps.iso8601(day + TimeSpan.days(1)))")
        #expect(tenants.status == 200)
        let ids = try #require(try JSONSerialization.jsonObject(with: Data(tenants.body.utf8)) as? [String])
        #expect(ids.count == 3, "\(tenants.body)")
        #expect(ids.allSatisfy { output.contains("(\($0))") }, "the bill names the tenants the API lists")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    static func sample(_ name: String, _ metrics: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }
}

/// A `tally serve` process for one test, stopped by `stop()` (also on failure, via defer).
struct Served {
    let process: Process
    let url: String

    let log: URL?

    init(process: Process, url: String) { self.process = process; self.url = url; self.log = nil }

    init(config: String, directory: URL) throws {
        let log = directory.appendingPathComponent("serve-\(UUID().uuidString).log")
        self.log = log
        process = try TallyProcess.start(["serve", "--config", config, "--listen", "127.0.0.1:0"], log: log)
        do { url = try ServeProcess.waitForURL(log: log, process: process) } catch { process.terminate(); throw error }
    }

    /// Waits for `/readyz` (the index has read the frames topic to its end); returns `/metrics`.
    /// On failure, names the last `/readyz` answer and the service's own log.
    func untilReady(timeout: TimeInterval = 180) async throws -> String {
        var last = ""
        let ready: Bool? = try await Polling.until(timeout: timeout) {
            let answer = try await HTTP.get(url + "/readyz")
            last = answer.body
            return answer.status == 200 ? true : nil
        }
        if ready != nil { return try await HTTP.get(url + "/metrics").body }
        let metrics = (try? await HTTP.get(url + "/metrics").body) ?? ""
        let text = log.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
        throw ServeProcess.ServeFailure(log: "not ready within \(timeout) s; last /readyz: \(last)\nmetrics:\n\(metrics)\nlog:\n\(text)"
                                        + "\nthreads:\n\(Self.threadStacks(of: process.processIdentifier))")
    }

    /// Every thread's stack of a process, when gdb is installed (diagnosis only: a stuck
    /// index follower shows where it waits); empty otherwise.
    static func threadStacks(of pid: Int32) -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb") else { return "(gdb not installed)" }
        let gdb = Process()
        gdb.executableURL = URL(fileURLWithPath: "/usr/bin/gdb")
        gdb.arguments = ["-batch", "-p", String(pid), "-ex", "thread apply all bt 25"]
        let out = Pipe()
        gdb.standardOutput = out
        gdb.standardError = out
        guard (try? gdb.run()) != nil else { return "(gdb did not start)" }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        gdb.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

enum HTTP {
    static func get(_ url: String) async throws -> (status: Int, body: String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}

/// CloudKitty's own CLI (`cloudkitty`, from python-cloudkittyclient) against a service URL.
enum CloudKitty {
    static func run(url: String, _ args: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cloudkitty", "--os-auth-type", "cloudkitty-noauth", "--os-endpoint", url] + args
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CloudKittyFailure(args: args, output: String(decoding: data + errors, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }

    struct CloudKittyFailure: Error, CustomStringConvertible {
        var args: [String]
        var output: String
        var description: String { "cloudkitty \(args.joined(separator: " ")) failed: \(output)" }
    }
}
