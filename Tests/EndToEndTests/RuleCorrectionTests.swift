import Foundation
import Testing
import TallyCore
import TallyRuntime
import TallyWire

/// Issue 9 item 3: a wrong past price is corrected in the rule log itself. With
/// `--force`, `rules apply --at T` (T in the past) supersedes the rule from T — one batch
/// event ends it at T and creates its replacement at T, with author and reason — then
/// `replay --apply` reprices the windows from T, and `trace` shows who corrected the
/// price and why.
@Suite(.serialized) struct RuleCorrectionTests {
    @Test func aForcedSupersedeFromAPastInstantRepricesAndIsTraced() throws {
        let (fixture, start) = try ReplayEndToEndTests.ratedFixture(seed: 31)
        let config = fixture.configPath
        let corrected = start + TimeSpan.hours(3)
        let candidate = fixture.directory.appendingPathComponent("corrected.yaml").path
        try EndToEndFixture.rules.replacingOccurrences(of: "value: m1.small, type: flat, cost: 0.025",
                                                       with: "value: m1.small, type: flat, cost: 0.05")
            .write(toFile: candidate, atomically: true, encoding: .utf8)
        let reason = "m1.small was billed at half price from \(Timestamps.iso8601(corrected))"
        let authorship = ["--author", "auditor@example.com", "--reason", reason]

        // Without --force a past supersede is refused, and nothing is published.
        let client = RuleLogClient(bootstrapServers: fixture.broker.bootstrapServers)
        let eventsBefore = try client.readEvents().count
        let refused = try TallyProcess.run(["rules", "apply", candidate, "--config", config,
                                            "--at", Timestamps.iso8601(corrected)] + authorship)
        #expect(refused.status != 0, "\(refused.output)")
        #expect(try client.readEvents().count == eventsBefore)

        let applied = try TallyProcess.run(["rules", "apply", candidate, "--config", config, "--force",
                                            "--at", Timestamps.iso8601(corrected)] + authorship)
        #expect(applied.status == 0, "\(applied.output)")
        #expect(applied.output.contains("end mapping 'm1-small' at \(Timestamps.iso8601(corrected))"), "\(applied.output)")
        #expect(applied.output.contains("create mapping 'm1-small' at \(Timestamps.iso8601(corrected))"), "\(applied.output)")
        let verified = try TallyProcess.run(["rules", "verify", "--config", config])
        #expect(verified.status == 0, "\(verified.output)")
        let state = try client.readState()
        func small(_ t: EventTime) -> ExactDecimal? { state.ruleSet(at: t).mappings.first { $0.id == "m1-small" }?.cost }
        #expect(small(corrected - TimeSpan.seconds(1)) == ExactDecimal("0.025")!)
        #expect(small(corrected) == ExactDecimal("0.05")!)

        // Replay with the corrected log and apply: m1.small windows from T double, nothing else moves.
        let before = try fixture.frames()
        var doubled: Set<String> = []
        for entry in before.latest.values where entry.metric == "instance" {
            let windowStart = try TimestampParserForTests.micros(entry.windowStart)
            if windowStart >= corrected.micros, try ReplayEndToEndTests.flavor(entry) == "m1.small" { doubled.insert(entry.frameId) }
        }
        #expect(!doubled.isEmpty, "the sample data must have m1.small windows after the corrected instant")
        let replay = try TallyProcess.run(["replay", "--config", config, "--from", Timestamps.iso8601(start),
                                           "--to", Timestamps.iso8601(start + TimeSpan.hours(8)), "--format", "json",
                                           "--apply", "--wait", "0"] + authorship)
        #expect(replay.status == 0, "\(replay.output)")
        // The rater is the only writer of the frames topic: apply queues the command and
        // the next run executes it.
        let queued = try ReplayEndToEndTests.json(replay.output)
        #expect(queued["corrections_requested"] as? Int == doubled.count, "\(replay.output)")
        let replayId = try #require(queued["replay_id"] as? String)
        let run = try TallyProcess.run(["run", "--config", config, "--until-drained"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("replay \(replayId) part 1/1: \(doubled.count) correction(s), 0 skipped"), "\(run.output)")
        let after = try fixture.frames()
        for (id, old) in before.latest {
            let new = try #require(after.latest[id])
            #expect(new.price == (doubled.contains(id) ? old.price + old.price : old.price), "frame \(id)")
        }

        // The trace of a corrected frame says who corrected the price, when and why.
        let frameID = try #require(doubled.sorted().first)
        let trace = try TallyProcess.run(["trace", frameID, "--config", config])
        #expect(trace.status == 0, "\(trace.output)")
        #expect(trace.output.contains("auditor@example.com") && trace.output.contains(reason), "\(trace.output)")
        #expect(trace.output.contains("correction of the past"), "\(trace.output)")
    }
}
