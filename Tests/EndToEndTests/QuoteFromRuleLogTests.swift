import Foundation
import Testing
import TallyCore
import TallyRuntime

/// Issue 9 item 5: `quote --config` prices against the live rule log at `--at`; an
/// unknown `--metric` is an error; a negative `--qty` parses.
@Suite(.serialized) struct QuoteFromRuleLogTests {
    @Test func quotePricesWithTheRuleLogAtAnInstant() throws {
        let fixture = try EndToEndFixture()
        let config = try RuleLogEndToEndTests.writeConfigWithoutRulesFile(fixture, state: "state-quote")
        let author = ["--author", "alice@example.com", "--reason", "price list"]
        let base = fixture.directory.appendingPathComponent("rules.yaml").path
        #expect(try TallyProcess.run(["rules", "apply", base, "--config", config] + author).status == 0)
        let change = WallClock.now() + TimeSpan.days(3)
        let repriced = fixture.directory.appendingPathComponent("repriced.yaml").path
        try EndToEndFixture.rules.replacingOccurrences(of: "value: m1.small, type: flat, cost: 0.025",
                                                       with: "value: m1.small, type: flat, cost: 0.05")
            .write(toFile: repriced, atomically: true, encoding: .utf8)
        #expect(try TallyProcess.run(["rules", "apply", repriced, "--config", config, "--at", Timestamps.iso8601(change)]
                                     + author).status == 0)

        func quote(_ extra: [String]) throws -> (status: Int32, output: String) {
            try TallyProcess.run(["quote", "--config", config, "--metric", "instance", "--meta", "flavor_name=m1.small"] + extra)
        }
        let now = try quote(["--qty", "2"])
        #expect(now.status == 0 && now.output.contains("price: 0.05"), "\(now.output)")
        let later = try quote(["--qty", "2", "--at", Timestamps.iso8601(change)])
        #expect(later.status == 0 && later.output.contains("price: 0.1"), "\(later.output)")
        let negative = try quote(["--qty", "-2"])
        #expect(negative.status == 0 && negative.output.contains("price: -0.05"), "\(negative.output)")

        let unknown = try TallyProcess.run(["quote", "--config", config, "--metric", "instanse", "--qty", "1"])
        #expect(unknown.status != 0 && unknown.output.contains("unknown --metric 'instanse'"), "\(unknown.output)")
        let unknownInFile = try TallyProcess.run(["quote", "--rules", base, "--metric", "instanse", "--qty", "1"])
        #expect(unknownInFile.status != 0 && unknownInFile.output.contains("unknown --metric 'instanse'"), "\(unknownInFile.output)")
    }
}
