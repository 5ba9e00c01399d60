import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime

/// Kill `tally run` with SIGKILL at random moments while it ingests a few hundred
/// thousand samples, restart it each time, then compare the latest revision of
/// every frame with an independent computation: no window missing, none counted
/// twice, every resent frame identical to its first copy, and the persisted
/// counters count every record exactly once.
@Suite(.serialized) struct CrashSafetyTests {
    @Test func killNineAtRandomMomentsChangesNoTotal() throws {
        let fixture = try EndToEndFixture(extraConfig: "engine: {batch_samples: 2000, batch_ms: 50}")
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 80) * 3_600_000_000)
        let simulator = UsageSimulator(seed: 4242, start: start, hours: 78, projects: 10, instancesPerProject: 10,
                                       volumesPerProject: 3)
        let samples = simulator.samples()
        var records = CeilometerEncoder.records(samples, perRecord: 10)
        for i in stride(from: 100, to: records.count, by: 997) { records.append(records[i]) }  // producer retries
        try fixture.produce(records)
        #expect(samples.count >= 200_000)

        var rng = SystemRandomNumberGenerator()
        var kills: [String] = []
        let log = fixture.directory.appendingPathComponent("runs.log")
        for round in 0..<4 {
            // Rounds 0 and 1 die while samples are being folded, rounds 2 and 3 once frames
            // are being emitted; each at a random moment after that point (the rater's
            // progress line says where it is), never while it is still restoring state.
            let before = progressLines(log).count
            let process = try TallyProcess.start(["run", "--config", fixture.configPath, "--progress"], log: log)
            let deadline = Date().addingTimeInterval(180)
            while process.isRunning && Date() < deadline {
                let lines = progressLines(log)
                if lines.count > before && (round < 2 || framesIn(lines.last!) > 0) { break }
                usleep(20_000)
            }
            let delay = Double.random(in: 0.0...1.5, using: &rng)
            usleep(UInt32(delay * 1_000_000))
            let wasRunning = process.isRunning
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            kills.append("round \(round): SIGKILL \(String(format: "%.2f", delay)) s after \(progressLines(log).last ?? "start")")
            #expect(wasRunning, "tally exited before it could be killed: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        // The kills must have hit a rater that was already emitting frames.
        let framesBeforeFinal = try fixture.frames().framesRead
        #expect(framesBeforeFinal > 0, "\(kills)")
        let final = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"], timeout: 600)
        #expect(final.status == 0, "final run failed: \(final.output)")

        let ledger = try fixture.frames()
        #expect(ledger.conflicts.isEmpty, "frames resent with different bytes: \(ledger.conflicts.prefix(5))")
        let problems = EndToEndFixture.compare(ledger, with: ExpectedWindows(samples))
        let exact = problems.isEmpty
        #expect(exact, "\(kills) \(problems.count) problems: \(problems.prefix(10))")
        let counters = TallyProcess.counters(in: final.output)
        #expect(counters["records_in"] == UInt64(records.count), "\(kills)")
        #expect(counters["samples_folded"] == UInt64(samples.count))
        #expect(counters["records_dead_lettered"] == 0)
        // Every frame emitted across the crashes reproduces (the producer retries above make
        // some lineages record the other copy of a sample; verify accepts that when the
        // sample count and digest agree), and the chains hold.
        // The timeout only guards against a hang: the debug build's verify replays ~200,000
        // samples and ~48,000 frames, which took 300–700 s depending on the machine's load
        // and hit a 600 s guard twice on a loaded machine (status 15) with every other
        // check of this test passing. A faster verify is issue 10's business, not this test's.
        let verify = try TallyProcess.run(["verify", "--config", fixture.configPath, "--from", Timestamps.iso8601(start),
                                           "--to", Timestamps.iso8601(start + TimeSpan.hours(80))], timeout: 1500)
        #expect(verify.status == 0, "\(verify.output.split(separator: "\n").filter { $0.contains("NOT REPRODUCED") }.prefix(3))")
        print("crash safety: \(kills.joined(separator: "; ")); \(framesBeforeFinal) frames before the final run, \(ledger.framesRead) frames read, \(ledger.duplicates) resent duplicates, \(ledger.latest.count) windows")
    }

    /// The rater's progress lines so far ("tally: N records, … M frames").
    private func progressLines(_ log: URL) -> [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { $0.hasPrefix("tally: ") && $0.hasSuffix(" frames") }.map(String.init)
    }

    private func framesIn(_ line: String) -> Int {
        Int(line.split(separator: " ").dropLast().last ?? "") ?? 0
    }
}
