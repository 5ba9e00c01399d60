import Foundation
import Testing
import TallyCore
import TallyRuntime
import TallyWire

/// Two writers racing on `tally.rules` (issue 8 item 3): a price change is one event, so
/// the loser's change is rejected whole as `stale-head` and told to retry, and
/// `tally rules verify` passes afterwards, also for logs written before batch events,
/// where the loser's second event links to its own rejected first one.
@Suite(.serialized) struct RuleLogRaceTests {
    static let hour: Int64 = 3_600_000_000

    /// The fixture's price list applied, then the file with m1.small at `cost`.
    static func priceFile(_ fixture: EndToEndFixture, cost: String) throws -> String {
        let path = fixture.directory.appendingPathComponent("m1-small-\(cost).yaml").path
        try EndToEndFixture.rules.replacingOccurrences(of: "value: m1.small, type: flat, cost: 0.025",
                                                       with: "value: m1.small, type: flat, cost: \(cost)")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func setUp() throws -> (EndToEndFixture, config: String, client: RuleLogClient) {
        let fixture = try EndToEndFixture()
        let config = try RuleLogEndToEndTests.writeConfigWithoutRulesFile(fixture, state: "state-race")
        let base = fixture.directory.appendingPathComponent("rules.yaml").path
        let seeded = try TallyProcess.run(["rules", "apply", base, "--config", config, "--at", "2020-01-01T00:00:00Z",
                                           "--force", "--author", "ops", "--reason", "price list"])
        #expect(seeded.status == 0, "\(seeded.output)")
        return (fixture, config, RuleLogClient(bootstrapServers: fixture.broker.bootstrapServers))
    }

    /// A writer that read the log before another's `tally rules apply` landed publishes
    /// its price change (end + create) after it.
    @Test(arguments: [true, false])
    func theLosingWriterIsToldToRetryAndVerifyPasses(atomic: Bool) throws {
        let (fixture, config, client) = try Self.setUp()
        let at = WallClock.now() + TimeSpan.days(2)
        let seenByLoser = try client.readState()

        let winner = try TallyProcess.run(["rules", "apply", try Self.priceFile(fixture, cost: "0.03"), "--config", config,
                                           "--at", Timestamps.iso8601(at), "--author", "alice", "--reason", "up"])
        #expect(winner.status == 0, "\(winner.output)")
        #expect(winner.output.contains("end mapping 'm1-small'") && winner.output.contains("create mapping 'm1-small'"),
                "\(winner.output)")

        let loserTarget = try RulesetFile.parse(yaml: try String(contentsOfFile: try Self.priceFile(fixture, cost: "0.04"),
                                                                 encoding: .utf8))
        let changes = RuleLogDiff.changes(from: seenByLoser.currentRules(at: at), to: loserTarget, at: at)
        #expect(changes.map(\.change.operation) == ["end", "create"])
        // atomic: what `tally rules apply` publishes now; not atomic: a writer from before batch events.
        let publication = try RuleLogPublication(changes: changes, author: "bob", reason: "up more",
                                                 now: WallClock.now(), state: seenByLoser, atomic: atomic)
        #expect(publication.events.count == (atomic ? 1 : 2))
        let outcomes = try client.publish(publication)
        for outcome in outcomes {
            guard case .retry(_, let rejection) = outcome else { Issue.record("not retry: \(outcome)"); continue }
            #expect(rejection.code == .staleHead)
        }

        let verified = try TallyProcess.run(["rules", "verify", "--config", config])
        #expect(verified.status == 0, "\(verified.output)")
        let state = try client.readState()
        let price = state.ruleSet(at: at).mappings.first { $0.id == "m1-small" }?.cost
        #expect(price == ExactDecimal("0.03")!, "the winner's price holds, nothing of the loser's")
        #expect(state.rejected.map(\.rejection.code) == Array(repeating: .staleHead, count: atomic ? 1 : 2))
    }

    /// Two real `tally rules apply` processes at once: each change lands whole or is
    /// refused whole with "retry", and the log verifies.
    @Test func concurrentAppliesLeaveAVerifiableLog() throws {
        let (fixture, config, client) = try Self.setUp()
        let at = Timestamps.iso8601(WallClock.now() + TimeSpan.days(2))
        let files = [try Self.priceFile(fixture, cost: "0.03"), try Self.priceFile(fixture, cost: "0.04")]
        let lock = NSLock()
        nonisolated(unsafe) var results = [(status: Int32, output: String)?](repeating: nil, count: 2)
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let result = try? TallyProcess.run(["rules", "apply", files[i], "--config", config, "--at", at,
                                                "--author", "writer\(i)", "--reason", "race"])
            lock.withLock { results[i] = result }
        }
        let finished = results.compactMap { $0 }
        #expect(finished.count == 2)
        for result in finished {
            // Accepted, or refused whole and told to retry (exit 75); never a half change.
            #expect(result.status == 0 || (result.status == 75 && result.output.contains("run the command again")),
                    "\(result.output)")
        }
        #expect(finished.contains { $0.status == 0 })
        let verified = try TallyProcess.run(["rules", "verify", "--config", config])
        #expect(verified.status == 0, "\(verified.output)")
        let state = try client.readState()
        let prices = state.ruleSet(at: try TimestampParser.parse(at)).mappings.filter { $0.id == "m1-small" }.map(\.cost)
        #expect(prices.count == 1, "exactly one m1-small in force: \(prices)")
        #expect(prices.allSatisfy { [ExactDecimal("0.03")!, ExactDecimal("0.04")!].contains($0) })
        #expect(state.rejected.allSatisfy { $0.rejection.code == .staleHead }, "\(state.rejected)")
    }
}
