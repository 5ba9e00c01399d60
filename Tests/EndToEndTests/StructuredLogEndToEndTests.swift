import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime
import TallyTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 11 item 5, structured logs: with `log: {format: json}` every line `tally run` and
/// `tally serve` write on standard error is one JSON object (time, level, logger, message and
/// metadata), including their lifecycle and a rule change published by another writer while
/// they run, with its author, offset and what it changed.
@Suite(.serialized) struct StructuredLogEndToEndTests {
    @Test func runAndServeWriteJSONLinesIncludingARuleChangePickedUpLive() async throws {
        let fixture = try EndToEndFixture(extraConfig: "log: {format: json}\napi: {auth: noauth}")
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 4) * 3_600_000_000)
        let samples = UsageSimulator(seed: 7, start: start, hours: 1, projects: 1, instancesPerProject: 1, volumesPerProject: 1).samples()
        try fixture.produce(CeilometerEncoder.records(samples, perRecord: 10))

        let run = try SplitProcess(["run", "--config", fixture.configPath], in: fixture.directory, name: "run")
        defer { run.stop() }
        _ = try run.waitForEntry { $0["message"] as? String == "tally run: started" }
        let serve = try SplitProcess(["serve", "--config", fixture.configPath, "--listen", "127.0.0.1:0"], in: fixture.directory, name: "serve")
        defer { serve.stop() }
        let url = try ServeProcess.waitForURL(log: serve.stdout, process: serve.process)
        let mappings = url + "/v1/rating/module_config/hashmap/services"
        #expect(try await HTTP.get(mappings).status == 200)  // the service has read the log's history

        // Another writer reprices m1.small while both run.
        let repriced = fixture.directory.appendingPathComponent("repriced.yaml").path
        try EndToEndFixture.rules.replacingOccurrences(of: "value: m1.small, type: flat, cost: 0.025",
                                                       with: "value: m1.small, type: flat, cost: 0.05")
            .write(toFile: repriced, atomically: true, encoding: .utf8)
        let applied = try TallyProcess.run(["rules", "apply", repriced, "--config", fixture.configPath,
                                            "--author", "alice@example.com", "--reason", "price list"])
        #expect(applied.status == 0, "\(applied.output)")
        let offset = try #require(applied.output.components(separatedBy: "accepted at offset ").last?
            .prefix { $0.isNumber }, "\(applied.output)")
        #expect(try await HTTP.get(mappings).status == 200)  // the service folds the new event

        for process in [run, serve] {
            let change = try process.waitForEntry { ($0["message"] as? String)?.hasPrefix("rule change") == true }
            #expect(change["author"] as? String == "alice@example.com", "\(change)")
            #expect(change["offset"] as? String == String(offset), "\(change)")
            #expect(change["outcome"] as? String == "accepted", "\(change)")
            #expect((change["change"] as? String)?.contains("create mapping 'm1-small'") == true, "\(change)")
            #expect(change["reason"] as? String == "price list", "\(change)")
        }

        serve.stop()
        run.stop()
        let runEntries = try run.entries()
        let serveEntries = try serve.entries()
        #expect(runEntries.allSatisfy { $0["logger"] as? String == "tally.run" }, "\(runEntries)")
        let stopped = try #require(runEntries.first { $0["message"] as? String == "tally run: stopped cleanly" }, "\(runEntries)")
        let printed = TallyProcess.counters(in: try String(contentsOf: run.stdout, encoding: .utf8))
        #expect(stopped["records_in"] as? String == printed["records_in"].map { String($0) }, "\(stopped) vs \(printed)")
        let listening = try #require(serveEntries.first { $0["message"] as? String == "tally serve: listening" }, "\(serveEntries)")
        #expect(listening["url"] as? String == url)
        #expect(serveEntries.contains { $0["message"] as? String == "tally serve: stopped" }, "\(serveEntries)")
    }
}

/// A `tally` process whose standard output and standard error go to two files, so that its
/// log (standard error) can be read apart from its printed results.
final class SplitProcess {
    let process = Process()
    let stdout: URL
    let stderr: URL

    init(_ args: [String], in directory: URL, name: String) throws {
        stdout = directory.appendingPathComponent("\(name).out")
        stderr = directory.appendingPathComponent("\(name).err")
        for file in [stdout, stderr] { FileManager.default.createFile(atPath: file.path, contents: nil) }
        process.executableURL = TallyProcess.executable
        process.arguments = args
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Every line of standard error as a JSON object; a line that is not one fails the test
    /// (JSON lines are the whole log, not some of it).
    func entries() throws -> [[String: Any]] {
        let text = try String(contentsOf: stderr, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            guard let object else { return nil }
            for key in ["time", "level", "logger", "message"] { #expect(object[key] is String, "no \(key) in \(line)") }
            return object
        }
    }

    /// Waits (at most `timeout`) for a log entry that `matches`; names the log on failure.
    func waitForEntry(timeout: TimeInterval = 60, _ matches: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], matches(object) { return object }
            }
            guard process.isRunning else { break }
            usleep(50_000)
        }
        let log = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
        throw ServeProcess.ServeFailure(log: "no matching log entry; standard error:\n\(log)")
    }
}
