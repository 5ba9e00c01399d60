import Foundation
import Testing
import TallyCore
import TallyDemo
import TallyRuntime

/// `tally run` with its decode thread (the default; `engine.decode_thread`), through a real
/// broker and many small batches over three partitions: every window exact, every record
/// counted once, duplicates and bad records handled as on one thread, and the thread's CPU
/// reported under its own name; the same for the commit thread (`engine.commit_thread`).
@Suite(.serialized) struct DecodeThreadEndToEndTests {
    static func thread(_ name: String, in output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("thread_cpu_ms ") }) else { return nil }
        return line.split(separator: " ").compactMap { field -> Int? in
            let parts = field.split(separator: "=")
            return parts.count == 2 && parts[0] == name ? Int(parts[1]) : nil
        }.first
    }

    @Test func manySmallBatchesThroughTheDecodeThreadRateExactlyOnce() throws {
        let fixture = try EndToEndFixture(extraConfig: "engine: {batch_samples: 300}")
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 8) * 3_600_000_000)
        let simulator = UsageSimulator(seed: 41, start: start, hours: 6, projects: 3, instancesPerProject: 3, volumesPerProject: 2)
        let samples = simulator.samples()
        var records = CeilometerEncoder.records(samples, perRecord: 5)
        let retried = records[records.count / 2]
        records.append(retried)  // a producer retry: the same record again
        records.insert(Array(#"{"oslo.version": "2.0", "oslo.message": 42}"#.utf8), at: records.count / 3)
        try fixture.produce(records)

        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(run.status == 0, "tally run failed: \(run.output)")
        let problems = EndToEndFixture.compare(try fixture.frames(), with: ExpectedWindows(samples))
        #expect(problems.isEmpty, "\(problems.count) problems: \(problems.prefix(10))")

        let counters = TallyProcess.counters(in: run.output)
        #expect(counters["records_in"] == UInt64(records.count))
        #expect(counters["records_dead_lettered"] == 1)
        #expect(counters["samples_folded"] == UInt64(samples.count))
        #expect(counters["samples_duplicate"] == 5)
        #expect(counters["open_windows"] == 0)
        #expect(counters["pending_messages"] == 0)
        // The batches after the first went through the decode thread: the rater waited for it
        // (`decode_wait` is timed only there) and the thread reported its CPU by name.
        #expect(run.output.contains("decode_wait="), "\(run.output)")
        #expect(Self.thread("tally-decode", in: run.output) != nil, "\(run.output)")
        // Durable commits (the default) went through the commit thread.
        #expect(Self.thread("tally-commit", in: run.output) != nil, "\(run.output)")
    }

    @Test func withTheDecodeThreadOffTheRaterDecodesOnItsOwnThread() throws {
        let fixture = try EndToEndFixture(extraConfig: "engine: {batch_samples: 300, decode_thread: false, commit_thread: false}")
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 8) * 3_600_000_000)
        let samples = UsageSimulator(seed: 43, start: start, hours: 4, projects: 2, instancesPerProject: 2, volumesPerProject: 1).samples()
        try fixture.produce(CeilometerEncoder.records(samples, perRecord: 5))
        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(run.status == 0, "tally run failed: \(run.output)")
        #expect(EndToEndFixture.compare(try fixture.frames(), with: ExpectedWindows(samples)).isEmpty)
        #expect(!run.output.contains("decode_wait="))
        #expect(Self.thread("tally-decode", in: run.output) == nil)
        #expect(Self.thread("tally-commit", in: run.output) == nil)
    }
}
