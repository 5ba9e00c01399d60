import Foundation
import Testing
import TallyAudit
import TallyCore
import TallyDemo

/// `tally report` and `tally trace` read the frame index of `tally serve` when it is there
/// and caught up, and print exactly what they print from the frames topic (real broker,
/// `tally run`, `tally serve` building the index); stderr names the source each time.
@Suite(.serialized) struct ReportFromIndexTests {
    @Test func reportAndTraceFromTheIndexEqualThoseFromTheTopic() async throws {
        let (fixture, start) = try ReplayEndToEndTests.ratedFixture(seed: 57)
        try (String(contentsOfFile: fixture.configPath, encoding: .utf8) + "\napi: {auth: noauth, index_path: index}\n")
            .write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let period = ["--from", Timestamps.iso8601(start), "--to", Timestamps.iso8601(start + TimeSpan.hours(4))]
        func report(_ extra: [String]) throws -> (status: Int32, out: String, err: String) {
            try ReportTraceTests.tally(["report", "--config", fixture.configPath] + period + extra)
        }

        // No index yet: the topic, saying why.
        let before = try report(["--format", "json"])
        try #require(before.status == 0, "\(before.err)")
        #expect(before.err.contains("frames from the topic tally.frames (no frame index at"), "\(before.err)")

        let serve = try ServeSession(config: fixture.configPath, directory: fixture.directory)
        defer { serve.stop() }
        let ready = try await Polling.until(timeout: 90) { try await serve.request("GET", "/readyz").status == 200 ? true : nil }
        try #require(ready == true, "tally serve never became ready: \((try? String(contentsOf: serve.log, encoding: .utf8)) ?? "")")

        for variant in [["--format", "json"], ["--format", "csv", "--group-by", "resource"], ["--group-by", "day"]] {
            let indexed = try report(variant), topic = try report(variant + ["--from-topic"])
            try #require(indexed.status == 0 && topic.status == 0, "\(indexed.err) \(topic.err)")
            #expect(indexed.err.contains("tally report: frames from the frame index at"), "\(indexed.err)")
            #expect(topic.err.contains("tally report: frames from the topic tally.frames (--from-topic)"), "\(topic.err)")
            #expect(indexed.out == topic.out, "\(variant): the index gave\n\(indexed.out)\nthe topic gave\n\(topic.out)")
            #expect(indexed.out.count > 100, "\(variant): \(indexed.out)")
        }
        #expect(try report(["--format", "json"]).out == before.out)

        // A priced frame, so the trace names rule events too.
        let ledger = try fixture.frames()
        let frameID = try #require(ledger.latest.values.filter { $0.metric == "instance" }.map(\.frameId).min())
        for variant in [["--json"], []] {
            let args = ["trace", frameID, "--config", fixture.configPath] + variant
            let indexed = try ReportTraceTests.tally(args), topic = try ReportTraceTests.tally(args + ["--from-topic"])
            #expect(indexed.status == 0 && topic.status == 0, "\(indexed.err) \(topic.err)")
            #expect(indexed.err.contains("tally trace: frames from the frame index at"), "\(indexed.err)")
            #expect(topic.err.contains("tally trace: frames from the topic tally.frames (--from-topic)"), "\(topic.err)")
            #expect(indexed.out == topic.out, "\(variant): the index gave\n\(indexed.out)\nthe topic gave\n\(topic.out)")
            #expect(indexed.out.contains(frameID))
        }

        // The index stops following; the rater emits more frames: the index is behind, so the topic.
        serve.stop()
        let later = UsageSimulator(seed: 58, start: start + TimeSpan.hours(6), hours: 1, projects: 2, instancesPerProject: 1,
                                   volumesPerProject: 1)
        try fixture.produce(CeilometerEncoder.records(later.samples(), perRecord: 10))
        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        try #require(run.status == 0, "tally run failed: \(run.output)")
        let behind = try report(["--format", "json"]), topic = try report(["--format", "json", "--from-topic"])
        #expect(behind.err.contains("tally report: frames from the topic tally.frames (the frame index at"), "\(behind.err)")
        #expect(behind.err.contains("behind tally.frames"), "\(behind.err)")
        #expect(behind.out == topic.out)
    }
}
