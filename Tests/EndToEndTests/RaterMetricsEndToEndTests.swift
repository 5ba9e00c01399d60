import Foundation
import Testing
import TallyCore
import TallyRuntime
import TallyTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 11 item 5: a live `tally run` with `engine.metrics_listen` serves Prometheus text
/// whose counters are the rater's own (the same numbers it prints when it stops), health and
/// readiness; the consumer lag falls to 0 once the input is read.
@Suite(.serialized) struct RaterMetricsEndToEndTests {
    @Test func aLiveRaterIsScrapedAndItsCountersMatchWhatItPrintsAtStop() async throws {
        let fixture = try EndToEndFixture(extraConfig: "engine: {metrics_listen: \"127.0.0.1:0\"}")
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 4) * 3_600_000_000)
        let simulator = UsageSimulator(seed: 5, start: start, hours: 2, projects: 2, instancesPerProject: 1, volumesPerProject: 1)
        let samples = simulator.samples()
        try fixture.produce(CeilometerEncoder.records(samples, perRecord: 10))

        let log = fixture.directory.appendingPathComponent("run.log")
        let process = try TallyProcess.start(["run", "--config", fixture.configPath], log: log)
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let url = try Self.waitForLine("tally run: metrics on ", log: log, process: process)
        #expect(try await HTTP.get(url + "/healthz").status == 200)

        // Scrape until the rater has read every sample produced (the deadline fails the test).
        var metrics = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            metrics = try await HTTP.get(url + "/metrics").body
            if ServeCloudKittyEndToEndTests.sample("tally_samples_in_total", metrics) == Double(samples.count) { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        #expect(ServeCloudKittyEndToEndTests.sample("tally_samples_in_total", metrics) == Double(samples.count), "\(metrics)")
        #expect(try await HTTP.get(url + "/readyz").status == 200)
        let lags = metrics.split(separator: "\n").filter { $0.hasPrefix("tally_consumer_lag{") && $0.contains("metering.sample") }
        #expect(lags.count == 3 && lags.allSatisfy { $0.hasSuffix(" 0") }, "\(metrics)")
        #expect(metrics.contains("# TYPE tally_frames_out_total counter"))

        process.terminate()
        process.waitUntilExit()
        let output = try String(contentsOf: log, encoding: .utf8)
        let printed = TallyProcess.counters(in: output)
        #expect(printed["samples_in"].map { Double($0) } == ServeCloudKittyEndToEndTests.sample("tally_samples_in_total", metrics), "\(output)")
        #expect(printed["samples_folded"].map { Double($0) } == ServeCloudKittyEndToEndTests.sample("tally_samples_folded_total", metrics))
    }

    static func waitForLine(_ prefix: String, log: URL, process: Process, timeout: TimeInterval = 60) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line.dropFirst(prefix.count)) }
            guard process.isRunning else { throw ServeProcess.ServeFailure(log: text) }
            usleep(20_000)
        }
        throw ServeProcess.ServeFailure(log: "no '\(prefix)' line within \(timeout) s")
    }
}
