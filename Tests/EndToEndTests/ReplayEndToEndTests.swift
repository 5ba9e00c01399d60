import Foundation
import TallyAudit
import TallyDemo
import Testing
import TallyCore
import TallyKafka
import TallyRuntime
import TallyWire

/// Replay, correction and verification end to end, with a real broker and the
/// `tally` binary: an unchanged replay is an empty diff and `verify` reproduces every
/// frame, also after the rule log moves on (each frame names its version); a candidate
/// price list gives exactly the per-scope differences the emitted
/// frames imply, `--apply` corrects them once; a forged frame fails `verify`.
@Suite(.serialized) struct ReplayEndToEndTests {
    static let hour: Int64 = 3_600_000_000

    /// Rates six hours of simulated usage with the fixture's configuration.
    static func ratedFixture(seed: UInt64) throws -> (fixture: EndToEndFixture, start: EventTime) {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / hour - 8) * hour)
        let simulator = UsageSimulator(seed: seed, start: start, hours: 6, projects: 2, instancesPerProject: 2, volumesPerProject: 1)
        try fixture.produce(CeilometerEncoder.records(simulator.samples(), perRecord: 10))
        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(run.status == 0, "tally run failed: \(run.output)")
        return (fixture, start)
    }

    static func json(_ output: String) throws -> [String: Any] {
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("{") }, "no JSON in: \(output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    static func frameRecords(_ fixture: EndToEndFixture) throws -> [TopicIO.Record] {
        try TopicIO.readAll(topic: "tally.frames", bootstrapServers: fixture.broker.bootstrapServers)
    }

    static func flavor(_ entry: FrameLedger.Entry) throws -> String? {
        let object = try JSONSerialization.jsonObject(with: Data(entry.bytes)) as? [String: Any]
        return (object?["groupby"] as? [String: Any])?["flavor_name"] as? String
    }

    @Test func unchangedRulesReplayToAnEmptyDiffAndVerifyCatchesAForgedFrame() throws {
        let (fixture, start) = try Self.ratedFixture(seed: 11)
        let range = ["--config", fixture.configPath, "--from", Timestamps.iso8601(start),
                     "--to", Timestamps.iso8601(start + TimeSpan.hours(6))]
        let ledger = try fixture.frames()
        #expect(ledger.latest.count > 10)

        let replay = try TallyProcess.run(["replay"] + range + ["--format", "json"])
        #expect(replay.status == 0, "\(replay.output)")
        let report = try Self.json(replay.output)
        #expect(report["changed"] as? Int == 0, "\(replay.output)")
        #expect(report["windows"] as? Int == ledger.latest.count)

        let verify = try TallyProcess.run(["verify"] + range)
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("\(ledger.latest.count) of \(ledger.latest.count) frame(s) reproduced"), "\(verify.output)")

        // A later, backdated price change on the rule log: the current book now prices
        // m1.small differently, but every frame names the version it was rated with,
        // and that version still reproduces it.
        let version = try #require(ledger.latest.values.first.flatMap { entry -> Int64? in
            let object = try? JSONSerialization.jsonObject(with: Data(entry.bytes)) as? [String: Any]
            return ((object?["rule_book"] as? [String: Any])?["version"] as? NSNumber)?.int64Value
        })
        let repriced = fixture.directory.appendingPathComponent("repriced.yaml").path
        // (a past end cannot be set, so the change adds a price: vcpus, free until now)
        try (EndToEndFixture.rules + "  vcpus:\n    mappings:\n      - {id: vcpu-base, type: flat, cost: 0.01, group: compute}\n")
            .write(toFile: repriced, atomically: true, encoding: .utf8)
        let change = try TallyProcess.run(["rules", "apply", repriced, "--config", fixture.configPath, "--force",
                                           "--at", Timestamps.iso8601(start - TimeSpan.hours(1)),
                                           "--author", "ops@example.com", "--reason", "vcpus priced"])
        #expect(change.status == 0 && change.output.contains("accepted at offset"), "\(change.output)")
        let current = try TallyProcess.run(["replay"] + range + ["--format", "json"])
        #expect(try Self.json(current.output)["changed"] as? Int ?? 0 > 0, "\(current.output)")
        let asRated = try TallyProcess.run(["replay"] + range + ["--format", "json", "--rules", "version:\(version)"])
        #expect(try Self.json(asRated.output)["changed"] as? Int == 0, "\(asRated.output)")
        let stillGood = try TallyProcess.run(["verify"] + range)
        #expect(stillGood.status == 0, "\(stillGood.output)")

        // A forged copy of one frame: another price, hashes recomputed so that only a
        // replay can tell; same frame id and revision, on the frame's own partition.
        let victim = try #require(Self.frameRecords(fixture).first { $0.partition == 0 })
        guard case var .object(members) = try CanonicalJSONParser.parse(victim.value) else { Issue.record("not an object"); return }
        let previous = try #require({ if case let .string(s)? = members["previous_price"] { return ExactDecimal(s) } else { return nil } }())
        members["price"] = .decimal(ExactDecimal("9.99")!)
        members["price_delta"] = .decimal(ExactDecimal("9.99")! - previous)
        var body = members
        body["content_hash"] = nil; body["previous_hash"] = nil
        members["content_hash"] = .string(SHA256.hex(CanonicalJSON.object(body).bytes))
        guard case let .string(victimId)? = members["frame_id"] else { Issue.record("no frame_id"); return }
        // (one value with `partitions` goes to partition 0, the victim's)
        try TopicIO.produce([CanonicalJSON.object(members).bytes], topic: "tally.frames",
                            bootstrapServers: fixture.broker.bootstrapServers, partitions: 3)
        #expect(try Self.frameRecords(fixture).last { $0.partition == 0 }?.value == CanonicalJSON.object(members).bytes,
                "the forged copy must land on the victim's partition")

        let broken = try TallyProcess.run(["verify"] + range)
        #expect(broken.status != 0, "\(broken.output)")
        #expect(broken.output.contains("NOT REPRODUCED: frame \(victimId) revision 1"), "\(broken.output)")
        let named = Set(broken.output.split(separator: "\n").filter { $0.hasPrefix("NOT REPRODUCED: frame ") }
            .map { $0.dropFirst("NOT REPRODUCED: frame ".count).prefix(32) })
        #expect(named == [victimId[...]], "only the forged frame is named: \(broken.output)")
    }

    @Test func aCandidatePriceListDiffsExactlyAndApplyCorrectsOnce() throws {
        let (fixture, start) = try Self.ratedFixture(seed: 23)
        let from = start + TimeSpan.hours(1), to = start + TimeSpan.hours(5)
        let candidate = fixture.directory.appendingPathComponent("candidate.yaml").path
        try EndToEndFixture.rules.replacingOccurrences(of: "value: m1.small, type: flat, cost: 0.025", with: "value: m1.small, type: flat, cost: 0.05")
            .write(toFile: candidate, atomically: true, encoding: .utf8)
        let args = ["replay", "--config", fixture.configPath, "--from", Timestamps.iso8601(from), "--to", Timestamps.iso8601(to),
                    "--rules", candidate, "--format", "json", "--detail"]

        // Expected independently from the emitted frames: m1.small windows of the range double.
        let before = try fixture.frames()
        var expectedDifference: [String: ExactDecimal] = [:]
        var doubled: Set<String> = []
        var untouched: [String: FrameLedger.Entry] = [:]
        for entry in before.latest.values {
            let startMicros = try TimestampParserForTests.micros(entry.windowStart)
            let inRange = from.micros <= startMicros && startMicros < to.micros
            if inRange && entry.metric == "instance", try Self.flavor(entry) == "m1.small" {
                expectedDifference[entry.scope, default: .zero] = expectedDifference[entry.scope, default: .zero] + entry.price
                doubled.insert(entry.frameId)
            } else {
                untouched[entry.frameId] = entry
            }
        }
        #expect(!doubled.isEmpty, "the sample data must have m1.small windows in the range")

        let dry = try TallyProcess.run(args)
        #expect(dry.status == 0, "\(dry.output)")
        let report = try Self.json(dry.output)
        let scopes = try #require(report["scopes"] as? [[String: Any]])
        for scope in scopes {
            let name = try #require(scope["scope"] as? String)
            #expect(scope["difference"] as? String == (expectedDifference[name] ?? .zero).canonicalText, "scope \(name)")
        }
        let changed = try #require(report["frames"] as? [[String: Any]])
        #expect(Set(changed.compactMap { $0["frame_id"] as? String }) == doubled)
        for f in changed {
            let old = try #require((f["old_price"] as? String).flatMap(ExactDecimal.init))
            #expect(f["new_price"] as? String == (old + old).canonicalText)
        }
        #expect(try Self.frameRecords(fixture).count == before.framesRead, "a dry run emits nothing")

        // No rater runs: apply queues the command (the rater is the only writer of the
        // frames topic) and the next run executes it.
        let apply = try TallyProcess.run(args + ["--apply", "--author", "ops@example.com", "--reason", "m1.small repriced", "--wait", "0"])
        #expect(apply.status == 0, "\(apply.output)")
        let applied = try Self.json(apply.output)
        #expect(applied["corrections_requested"] as? Int == doubled.count)
        #expect(applied["corrections_status"] as? String == "queued")
        let replayId = try #require(applied["replay_id"] as? String)
        #expect(try Self.frameRecords(fixture).count == before.framesRead, "apply itself writes no frame")
        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("replay \(replayId) part 1/1: \(doubled.count) correction(s), 0 skipped"), "\(run.output)")

        let after = try fixture.frames()
        #expect(after.conflicts.isEmpty)
        for id in doubled {
            let old = try #require(before.latest[id]), new = try #require(after.latest[id])
            #expect(new.revision == old.revision + 1)
            #expect(new.price == old.price + old.price)
            let object = try JSONSerialization.jsonObject(with: Data(new.bytes)) as? [String: Any]
            #expect((object?["correction"] as? [String: Any])?["replay_id"] as? String == replayId)
            #expect(object?["previous_price"] as? String == old.price.canonicalText)
        }
        for (id, entry) in untouched { #expect(after.latest[id]?.bytes == entry.bytes) }
        let totals = after.totals { $0.scope }, oldTotals = before.totals { $0.scope }
        for (scope, total) in totals {
            let expected = oldTotals[scope]!.price + (expectedDifference[scope] ?? .zero)
            #expect(total.price.canonicalText == expected.canonicalText, "scope \(scope)")
        }

        let again = try TallyProcess.run(args + ["--apply", "--author", "ops@example.com", "--reason", "m1.small repriced"])
        #expect(again.status == 0, "\(again.output)")
        #expect(try Self.json(again.output)["corrections_emitted"] as? Int == 0)
        #expect(try Self.json(again.output)["changed"] as? Int == 0)
        #expect(try Self.frameRecords(fixture).count == after.framesRead, "the second apply emits nothing")

        // The rater's own frames still reproduce, and the corrections extend the chain.
        let verify = try TallyProcess.run(["verify", "--config", fixture.configPath, "--from", Timestamps.iso8601(start),
                                           "--to", Timestamps.iso8601(start + TimeSpan.hours(6))])
        #expect(verify.status == 0, "\(verify.output)")
    }
}
