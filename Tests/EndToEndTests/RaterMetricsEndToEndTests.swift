import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime
import TallyTestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 11 item 5: a live `tally run` with `engine.metrics_listen` serves Prometheus text
/// whose counters are the rater's own (the same numbers it prints when it stops), health and
/// readiness; the consumer lag falls to 0 once the input is read; dead letters by reason, event-time
/// lag, commit and close histograms and the rule-book version (issue 11 item 5) hold values that could be wrong.
@Suite(.serialized) struct RaterMetricsEndToEndTests {
    @Test func aLiveRaterIsScrapedAndItsCountersMatchWhatItPrintsAtStop() async throws {
        let fixture = try EndToEndFixture(extraConfig: "engine: {metrics_listen: \"127.0.0.1:0\"}")
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 4) * 3_600_000_000)
        let simulator = UsageSimulator(seed: 5, start: start, hours: 2, projects: 2, instancesPerProject: 1, volumesPerProject: 1)
        let samples = simulator.samples()
        let records = CeilometerEncoder.records(samples, perRecord: 10)
        let producedAt = WallClock.now()
        // Two records that are not JSON: dead letters with reason malformed-json.
        try fixture.produce(records + [Array("not json".utf8), Array("{\"truncated\": ".utf8)])

        let log = fixture.directory.appendingPathComponent("run.log")
        let process = try TallyProcess.start(["run", "--config", fixture.configPath], log: log)
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let url = try Self.waitForLine("tally run: metrics on ", log: log, process: process)
        #expect(try await HTTP.get(url + "/healthz").status == 200)

        // Scrape until the rater has read every record produced (the deadline fails the test).
        var metrics = ""
        var scrapedBy = WallClock.now()
        _ = try await Polling.until(timeout: 60, intervalNanoseconds: 100_000_000) { () -> Bool? in
            metrics = try await HTTP.get(url + "/metrics").body
            scrapedBy = WallClock.now()
            let done = ServeCloudKittyEndToEndTests.sample("tally_records_in_total", metrics) == Double(records.count + 2)
                && ServeCloudKittyEndToEndTests.sample("tally_watermark_lag_seconds", metrics) != nil
            return done ? true : nil
        }
        #expect(ServeCloudKittyEndToEndTests.sample("tally_samples_in_total", metrics) == Double(samples.count), "\(metrics)")
        #expect(try await HTTP.get(url + "/readyz").status == 200)
        let lags = metrics.split(separator: "\n").filter { $0.hasPrefix("tally_consumer_lag{") && $0.contains("metering.sample") }
        #expect(lags.count == 3 && lags.allSatisfy { $0.hasSuffix(" 0") }, "\(metrics)")
        #expect(metrics.contains("# TYPE tally_frames_out_total counter"))
        #expect(Self.labelled("tally_dead_letters_total", ["reason": "malformed-json"], metrics) == 2, "\(metrics)")

        Self.checkEventLag(metrics, samples: samples, producedAt: producedAt, scrapedBy: scrapedBy)
        for name in ["tally_commit_duration_seconds", "tally_close_duration_seconds"] { Self.checkHistogram(name, metrics) }
        #expect(ServeCloudKittyEndToEndTests.sample("tally_commit_duration_seconds_count", metrics)
                == ServeCloudKittyEndToEndTests.sample("tally_close_duration_seconds_count", metrics), "one of each per batch")

        // The rule book: the log seeded from rules.yaml at start (offsets 0…n−1).
        let text = try String(contentsOf: log, encoding: .utf8)
        let seeded = text.split(separator: "\n").first { $0.contains("rule log seeded from") }
            .flatMap { line in line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) } }
        #expect(seeded != nil && seeded! > 0, "\(text)")
        #expect(ServeCloudKittyEndToEndTests.sample("tally_rule_book_events", metrics) == seeded, "\(metrics)")
        let version = metrics.split(separator: "\n").first { $0.hasPrefix("tally_rule_book_version{head=\"") }
        #expect(version.map { !$0.contains("head=\"\"") && $0.hasSuffix(" \(Int(seeded ?? 0) - 1)") } == true, "\(metrics)")

        process.terminate()
        process.waitUntilExit()
        let output = try String(contentsOf: log, encoding: .utf8)
        let printed = TallyProcess.counters(in: output)
        #expect(printed["samples_in"].map { Double($0) } == ServeCloudKittyEndToEndTests.sample("tally_samples_in_total", metrics), "\(output)")
        #expect(printed["samples_folded"].map { Double($0) } == ServeCloudKittyEndToEndTests.sample("tally_samples_folded_total", metrics))
    }

    /// Each partition's lag is at least the wall time between producing and the newest sample
    /// (the clock never passes the newest sample but by idle advance, which moves with the wall
    /// clock), at most the scrape time minus the oldest sample; the closing clock is their
    /// minimum, so its lag is at least each partition's.
    static func checkEventLag(_ metrics: String, samples: [UsageSimulator.Sample], producedAt: EventTime, scrapedBy: EventTime) {
        let newest = samples.map(\.timestamp.micros).max()!, oldest = samples.map(\.timestamp.micros).min()!
        let low = Double(producedAt.micros - newest) / 1_000_000, high = Double(scrapedBy.micros - oldest) / 1_000_000
        let partitions = (0..<3).compactMap { labelled("tally_partition_event_lag_seconds", ["topic": "metering.sample", "partition": String($0)], metrics) }
        #expect(partitions.count == 3, "\(metrics)")
        #expect(partitions.allSatisfy { $0 >= low && $0 <= high }, "\(partitions) not within [\(low), \(high)]")
        let overall = ServeCloudKittyEndToEndTests.sample("tally_watermark_lag_seconds", metrics)
        #expect(overall.map { $0 >= (partitions.max() ?? 0) && $0 <= high } == true, "\(String(describing: overall)) vs \(partitions)")
    }

    /// Cumulative buckets that never decrease, `+Inf` equal to the count, at least one batch.
    static func checkHistogram(_ name: String, _ metrics: String) {
        #expect(metrics.contains("# TYPE \(name) histogram"))
        let buckets = metrics.split(separator: "\n").filter { $0.hasPrefix(name + "_bucket{") }.compactMap { Double($0.split(separator: " ").last!) }
        let count = ServeCloudKittyEndToEndTests.sample(name + "_count", metrics) ?? 0
        #expect(buckets.count == 15 && zip(buckets, buckets.dropFirst()).allSatisfy { $0 <= $1 }, "\(metrics)")
        #expect(count >= 1 && buckets.last == count, "\(metrics)")
    }

    /// The value of `name{labels}` (labels in name order, as PrometheusText writes them).
    static func labelled(_ name: String, _ labels: [String: String], _ metrics: String) -> Double? {
        let prefix = name + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",") + "} "
        return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
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
