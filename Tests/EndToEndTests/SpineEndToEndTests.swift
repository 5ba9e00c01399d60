import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime

/// Samples in through a real broker process, `tally run` as a real process,
/// frames and dead letters out: quantities and prices exact, bad records
/// dead-lettered with their reasons while their neighbours are rated.
@Suite(.serialized) struct SpineEndToEndTests {
    @Test func samplesInFramesOutExactWithBadRecordsDeadLettered() throws {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 8) * 3_600_000_000)
        let simulator = UsageSimulator(seed: 99, start: start, hours: 6, projects: 2, instancesPerProject: 2, volumesPerProject: 1)
        let samples = simulator.samples()
        var records = CeilometerEncoder.records(samples, perRecord: 10)

        // Bad records, each beside good ones. The good neighbours are new instance
        // samples one second after a real one: they change no maximum.
        var neighbours = [samples[0], samples[0], samples[0]]
        for i in 0..<3 {
            neighbours[i].id = "neighbour-\(i)"
            neighbours[i].timestamp = samples[0].timestamp + TimeSpan(micros: Int64(i + 1) * 1_000_000)
        }
        var negative = neighbours; negative[1].volume = "-1"; negative[1].id = "negative"
        var unknown = samples[0]; unknown.metric = "disk.root.size"; unknown.id = "unknown"
        var future = samples[0]; future.id = "future"; future.timestamp = WallClock.now() + TimeSpan.days(2)
        let bad: [(bytes: [UInt8], reason: String)] = [
            (CeilometerEncoder.record(negative[...], messageID: "m-negative"), "negative-volume"),
            (CeilometerEncoder.record([unknown][...], messageID: "m-unknown"), "unknown-metric"),
            (CeilometerEncoder.record([future][...], messageID: "m-future"), "future-timestamp"),
            (Array(CeilometerEncoder.record(samples[5..<7], messageID: "m-cut").dropLast(30)), "malformed-json"),
            (Array(#"{"oslo.version": "2.0", "oslo.message": 42}"#.utf8), "bad-envelope"),
            (Array(#"{"oslo.version": "2.0", "oslo.message": "{\"event_type\": \"metering\", \"payload\": []}"}"#.utf8), "empty-payload"),
        ]
        for (i, b) in bad.enumerated() { records.insert(b.bytes, at: (i + 1) * 7) }
        records.append(records[20])  // a producer retry: the same record again
        try fixture.produce(records)

        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(run.status == 0, "tally run failed: \(run.output)")

        let expected = ExpectedWindows(samples)
        let ledger = try fixture.frames()
        let problems = EndToEndFixture.compare(ledger, with: expected)
        let exact = problems.isEmpty
        #expect(exact, "\(problems.count) problems: \(problems.prefix(10))")
        #expect(ledger.conflicts.isEmpty)
        #expect(ledger.latest.count == expected.quantities.count)

        let letters = try fixture.deadLetters()
        #expect(letters.compactMap { $0["reason"] as? String }.sorted() == bad.map(\.reason).sorted())
        let counters = TallyProcess.counters(in: run.output)
        #expect(counters["records_in"] == UInt64(records.count))
        #expect(counters["records_in"] == (counters["records_folded"] ?? 0) + (counters["records_duplicate"] ?? 0)
                + (counters["records_dead_lettered"] ?? 0))
        #expect(counters["records_dead_lettered"] == UInt64(bad.count))
        #expect(counters["samples_in"] == (counters["samples_folded"] ?? 0) + (counters["samples_duplicate"] ?? 0)
                + (counters["samples_dead_lettered"] ?? 0))
        // Every simulated sample folded once; the two good neighbours too; the retried record's ten are duplicates.
        #expect(counters["samples_folded"] == UInt64(samples.count + 2))
        #expect(counters["samples_duplicate"] == 10)
        #expect(counters["frames_emitted"] == UInt64(ledger.latest.count))
        #expect(counters["open_windows"] == 0)  // drained: the end of input closed every window
        #expect(counters["pending_messages"] == 0)
    }

    @Test func aLateSampleRevisesItsWindowAndOneBeyondRetentionIsDeadLettered() throws {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 6) * 3_600_000_000)
        let simulator = UsageSimulator(seed: 7, start: start, hours: 3, projects: 1, instancesPerProject: 1, volumesPerProject: 1)
        let samples = simulator.samples()
        try fixture.produce(CeilometerEncoder.records(samples, perRecord: 10))
        let first = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(first.status == 0, "\(first.output)")

        // The volume grew to 999 GiB for a moment in the first hour (late, within the
        // 2-day retention); and a reading from four days ago arrives (beyond it).
        let volume = samples.first { $0.metric == "volume.size" }!
        var late = volume
        late.id = "late-volume"; late.volume = "999"; late.timestamp = volume.timestamp + TimeSpan.minutes(5)
        var ancient = volume
        ancient.id = "ancient-volume"; ancient.timestamp = volume.timestamp - TimeSpan.days(4)
        try fixture.produce([CeilometerEncoder.record([late][...], messageID: "m-late"),
                             CeilometerEncoder.record([ancient][...], messageID: "m-ancient")])
        let second = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(second.status == 0, "\(second.output)")
        // The first run seeded the rule log from the rules file and snapshotted its fold
        // in LMDB; the restart folds only what came after the snapshot (nothing).
        #expect(first.output.contains("rule log seeded from"))
        #expect(second.output.contains("0 event(s) folded after a snapshot"), "\(second.output)")

        let ledger = try fixture.frames()
        let revised = ledger.latest.values.filter { $0.metric == "volume.size" && $0.revision == 2 }
        #expect(revised.count == 1)
        #expect(revised.first?.quantity.canonicalText == "999")
        #expect(revised.first?.windowStart == Timestamps.iso8601(EventTime(micros: volume.timestamp.micros / 3_600_000_000 * 3_600_000_000)))
        let letters = try fixture.deadLetters()
        #expect(letters.compactMap { $0["reason"] as? String } == ["too-late"])
        let counters = TallyProcess.counters(in: second.output)
        #expect(counters["samples_late"] == 1)
        #expect(counters["samples_too_late"] == 1)
        #expect(counters["frames_revised"] == 1)
    }

    @Test func sigtermDrainsAndExitsCleanly() throws {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 8) * 3_600_000_000)
        let simulator = UsageSimulator(seed: 3, start: start, hours: 6, projects: 2, instancesPerProject: 2, volumesPerProject: 1)
        try fixture.produce(CeilometerEncoder.records(simulator.samples(), perRecord: 10))
        let log = fixture.directory.appendingPathComponent("run.log")
        let process = try TallyProcess.start(["run", "--config", fixture.configPath, "--progress"], log: log)
        // Wait until the rater has emitted frames (its progress line says so), then stop it.
        let deadline = Date().addingTimeInterval(120)
        func output() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        while process.isRunning && Date() < deadline
            && !output().split(separator: "\n").contains(where: {
                $0.hasPrefix("tally: ") && $0.hasSuffix(" frames") && (Int($0.split(separator: " ").dropLast().last ?? "") ?? 0) > 0
            }) {
            usleep(20_000)
        }
        #expect(process.isRunning)
        process.terminate()  // SIGTERM
        let stopDeadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < stopDeadline { usleep(20_000) }
        #expect(!process.isRunning, "tally did not stop within 60 s of SIGTERM")
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let counters = TallyProcess.counters(in: output())
        #expect(output().contains("tally: stopped cleanly"))
        #expect(counters["pending_messages"] == 0)
        #expect((counters["frames_emitted"] ?? 0) > 0)
        #expect(counters["records_in"] == (counters["records_folded"] ?? 0) + (counters["records_duplicate"] ?? 0)
                + (counters["records_dead_lettered"] ?? 0))
    }
}
