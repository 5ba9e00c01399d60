import Foundation
import Testing
import TallyCore
import TallyRuntime
import TallyWire

/// Issue 9 item 2: the everyday repricing "from now on" is one command with no `--at`
/// and no `--force`, and a dry run exits non-zero when the real run would be refused.
@Suite(.serialized) struct RulesEverydayTests {
    @Test func applyAndEndWithoutAtTakeEffectNowAndDryRunFailsWhenTheRunWould() throws {
        let fixture = try EndToEndFixture()
        let config = try RuleLogEndToEndTests.writeConfigWithoutRulesFile(fixture, state: "state-everyday")
        let client = RuleLogClient(bootstrapServers: fixture.broker.bootstrapServers)
        let author = ["--author", "alice@example.com", "--reason", "price list"]
        let base = fixture.directory.appendingPathComponent("rules.yaml").path

        let first = try TallyProcess.run(["rules", "apply", base, "--config", config] + author)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("accepted at offset 0"), "\(first.output)")

        // Repricing from now on: m1.small doubles.
        let repriced = fixture.directory.appendingPathComponent("repriced.yaml").path
        try EndToEndFixture.rules.replacingOccurrences(of: "value: m1.small, type: flat, cost: 0.025",
                                                       with: "value: m1.small, type: flat, cost: 0.05")
            .write(toFile: repriced, atomically: true, encoding: .utf8)
        let before = WallClock.now()
        let change = try TallyProcess.run(["rules", "apply", repriced, "--config", config] + author)
        #expect(change.status == 0, "\(change.output)")
        #expect(change.output.contains("end mapping 'm1-small'") && change.output.contains("create mapping 'm1-small'"),
                "\(change.output)")
        let state = try client.readState()
        #expect(state.rejected.isEmpty, "\(state.rejected)")
        func small(at t: EventTime) -> ExactDecimal? { state.ruleSet(at: t).mappings.first { $0.id == "m1-small" }?.cost }
        #expect(small(at: before) == ExactDecimal("0.025")!, "the old price holds until the change was recorded")
        #expect(small(at: WallClock.now()) == ExactDecimal("0.05")!)

        // Ending a rule now.
        let ended = try TallyProcess.run(["rules", "end", "m1-large", "--config", config] + author)
        #expect(ended.status == 0, "\(ended.output)")
        #expect(try client.readState().ruleSet(at: WallClock.now()).mappings.contains { $0.id == "m1-large" } == false)

        // A dry run of a change the real run would refuse (a past start without --force)
        // exits non-zero and publishes nothing.
        let count = try client.readEvents().count
        let refused = try TallyProcess.run(["rules", "apply", base, "--config", config, "--at", "2020-01-01T00:00:00Z",
                                            "--dry-run"] + author)
        #expect(refused.status != 0, "\(refused.output)")
        #expect(refused.output.contains("would be rejected") && refused.output.contains("past-start-without-force"),
                "\(refused.output)")
        #expect(try client.readEvents().count == count)
    }
}
