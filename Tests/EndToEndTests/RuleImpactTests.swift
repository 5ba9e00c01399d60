import Foundation
import TallyAudit
import TallyDemo
import Testing
import TallyCore
import TallyRuntime

/// `tally rules apply FILE --dry-run --impact-from T`: the price impact of a change
/// not yet published, per scope, computed by replaying the period with the rule log
/// as it would be after the change — and nothing is published.
@Suite(.serialized) struct RuleImpactTests {
    @Test func dryRunShowsThePriceImpactPerScopeAndPublishesNothing() throws {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 6) * 3_600_000_000)
        let simulator = UsageSimulator(seed: 21, start: start, hours: 3, projects: 2, instancesPerProject: 2, volumesPerProject: 1)
        try fixture.produce(CeilometerEncoder.records(simulator.samples(), perRecord: 10))
        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(run.status == 0, "\(run.output)")

        // The candidate: the same price list plus a 0.005 surcharge on m1.small from `start`.
        let candidate = fixture.directory.appendingPathComponent("candidate.yaml")
        let large = "- {id: m1-large, value: m1.large, type: flat, cost: 0.10, group: compute}"
        let surcharge = "- {id: m1-small-surcharge, value: m1.small, type: flat, cost: 0.005, group: amendment, start: \(Timestamps.iso8601(start))}"
        let candidateText = EndToEndFixture.rules
            .replacingOccurrences(of: "groups: [compute, storage]", with: "groups: [compute, storage, amendment]")
            .replacingOccurrences(of: large, with: large + "\n          " + surcharge)
        #expect(candidateText.contains(surcharge))
        try candidateText.write(to: candidate, atomically: true, encoding: .utf8)

        let logBefore = try TallyProcess.run(["rules", "log", "--config", fixture.configPath])
        let dry = try TallyProcess.run(["rules", "apply", candidate.path, "--config", fixture.configPath, "--dry-run", "--force",
                                        "--at", Timestamps.iso8601(start), "--author", "test", "--reason", "impact",
                                        "--impact-from", Timestamps.iso8601(start),
                                        "--impact-to", Timestamps.iso8601(start + TimeSpan.hours(4))])
        #expect(dry.status == 0, "\(dry.output)")
        #expect(dry.output.contains("price impact on windows from"))

        // Expected, from the frames: every m1.small instance-hour costs 0.005 more.
        var expected: [String: Decimal] = [:]
        for entry in try fixture.frames().latest.values where entry.metric == "instance" {
            let object = try JSONSerialization.jsonObject(with: Data(entry.bytes)) as! [String: Any]
            if (object["groupby"] as? [String: Any])?["flavor_name"] as? String == "m1.small" {
                expected[entry.scope, default: 0] += Decimal(string: "0.005")!
            }
        }
        #expect(!expected.isEmpty)
        for (scope, difference) in expected {
            let row = dry.output.split(separator: "\n").first { $0.hasPrefix(scope) }
            #expect(row.map { $0.split(separator: " ").last.map(String.init) } == "\(difference)", "\(dry.output)")
        }
        // A dry-run replay can also write its frames to a shadow topic.
        let shadow = try TallyProcess.run(["replay", "--config", fixture.configPath, "--from", Timestamps.iso8601(start),
                                           "--to", Timestamps.iso8601(start + TimeSpan.hours(4)), "--shadow-topic", "tally.shadow"])
        #expect(shadow.status == 0, "\(shadow.output)")
        let shadowFrames = try TopicIO.readAll(topic: "tally.shadow", bootstrapServers: fixture.broker.bootstrapServers)
        var shadowLedger = FrameLedger()
        for r in shadowFrames { shadowLedger.add(r.value) }
        let emitted = try fixture.frames().latest.values.filter {
            $0.windowStart >= Timestamps.iso8601(start) && $0.windowStart < Timestamps.iso8601(start + TimeSpan.hours(4))
        }
        #expect(shadowFrames.count == emitted.count)
        #expect(Set(shadowLedger.latest.keys) == Set(emitted.map(\.frameId)))

        // Nothing was published.
        let logAfter = try TallyProcess.run(["rules", "log", "--config", fixture.configPath])
        #expect(logAfter.output == logBefore.output)
    }
}
