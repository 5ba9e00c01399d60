import Foundation
import Testing
import TallyCore
import TallyRuntime
import TallyWire

/// Issue 9 item 4 against the broker: `rules apply` refuses unknown services and fields
/// (file:line; `--allow-unknown` stages them), `rules show` output applies back as
/// "nothing to publish", and a file cannot silently reopen a rule an earlier
/// `rules end` closed.
@Suite(.serialized) struct RulesFileRoundTripTests {
    @Test func unknownNamesShowRoundTripAndKeptEnds() throws {
        let fixture = try EndToEndFixture()
        let config = try RuleLogEndToEndTests.writeConfigWithoutRulesFile(fixture, state: "state-roundtrip")
        let client = RuleLogClient(bootstrapServers: fixture.broker.bootstrapServers)
        let author = ["--author", "alice@example.com", "--reason", "price list"]
        let base = fixture.directory.appendingPathComponent("rules.yaml").path

        let typo = fixture.directory.appendingPathComponent("typo.yaml").path
        try EndToEndFixture.rules.replacingOccurrences(of: "flavor_name:", with: "flavour_name:")
            .write(toFile: typo, atomically: true, encoding: .utf8)
        let refused = try TallyProcess.run(["rules", "apply", typo, "--config", config] + author)
        #expect(refused.status != 0, "\(refused.output)")
        #expect(refused.output.contains("typo.yaml:6:") && refused.output.contains("unknown field 'flavour_name'"), "\(refused.output)")
        #expect(try client.readEvents().isEmpty)
        let staged = try TallyProcess.run(["rules", "apply", typo, "--config", config, "--allow-unknown", "--dry-run"] + author)
        #expect(staged.status == 0, "\(staged.output)")

        #expect(try TallyProcess.run(["rules", "apply", base, "--config", config] + author).status == 0)
        let endAt = Timestamps.iso8601(WallClock.now() + TimeSpan.days(10))
        let ended = try TallyProcess.run(["rules", "end", "m1-large", "--at", endAt, "--config", config] + author)
        #expect(ended.status == 0, "\(ended.output)")

        // The original file (m1-large without an end) does not reopen it, and says so.
        let count = try client.readEvents().count
        let again = try TallyProcess.run(["rules", "apply", base, "--config", config] + author)
        #expect(again.status == 0, "\(again.output)")
        #expect(again.output.contains("mapping 'm1-large' ends at \(endAt)") && again.output.contains("the end is kept"),
                "\(again.output)")
        #expect(try client.readEvents().count == count, "nothing published")

        // `rules show` is a ruleset file: applying it back changes nothing.
        let show = try TallyProcess.run(["rules", "show", "--config", config])
        #expect(show.status == 0, "\(show.output)")
        let shown = fixture.directory.appendingPathComponent("shown.yaml").path
        try show.output.write(toFile: shown, atomically: true, encoding: .utf8)
        let back = try TallyProcess.run(["rules", "apply", shown, "--config", config] + author)
        #expect(back.status == 0, "\(back.output)")
        #expect(back.output.contains("nothing to publish"), "\(back.output)\n--- shown:\n\(show.output)")
        #expect(show.output.contains("end: \"\(endAt)\""), "\(show.output)")
    }
}
