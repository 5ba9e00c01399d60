import Foundation
import TallyAudit
import TallyDemo
import Testing
import TallyCore
import TallyKafka
import TallyRuntime
import TallyWire

/// The rule log end to end: `tally rules apply` publishes a backdated price change,
/// `tally run` without a rules file prices each window with the book in effect at its
/// start and names that book in the frame, and `tally rules verify` catches an altered
/// copy of an event.
@Suite(.serialized) struct RuleLogEndToEndTests {
    static let hour: Int64 = 3_600_000_000

    /// The fixture's price list, with m1.small's price doubled from `change` on: the old
    /// mapping ends there and a new one (same CloudKitty key) starts.
    static func ruleset(priceChangeAt change: EventTime) -> String {
        EndToEndFixture.rules.replacingOccurrences(
            of: "- {id: m1-small, value: m1.small, type: flat, cost: 0.025, group: compute}",
            with: "- {id: m1-small, value: m1.small, type: flat, cost: 0.025, group: compute, end: \(Timestamps.iso8601(change))}\n"
                + String(repeating: " ", count: 10)
                + "- {id: m1-small-2026, value: m1.small, type: flat, cost: 0.05, group: compute, start: \(Timestamps.iso8601(change))}")
    }

    /// The fixture's service configuration without a rules file: pricing follows tally.rules.
    static func writeConfigWithoutRulesFile(_ fixture: EndToEndFixture, state: String) throws -> String {
        let config = fixture.directory.appendingPathComponent("tally-\(state).yaml").path
        try """
        kafka:
          bootstrap: \(fixture.broker.bootstrapServers)
          inputs:
            - {topic: metering.sample, format: ceilometer}
          input_partitions: 3
          frames_partitions: 3
        state:
          path: \(state)
        metrics: metrics.yaml
        """.write(toFile: config, atomically: true, encoding: .utf8)
        return config
    }

    @Test func backdatedPriceChangePricesWindowsByTheirStartAndVerifyCatchesAnAlteredEvent() throws {
        let fixture = try EndToEndFixture()
        let dir = fixture.directory
        let config = try Self.writeConfigWithoutRulesFile(fixture, state: "state-log")

        let start = EventTime(micros: (WallClock.now().micros / Self.hour - 8) * Self.hour)
        let change = EventTime(micros: start.micros + 3 * Self.hour)
        let rulesPath = dir.appendingPathComponent("ruleset.yaml").path
        try Self.ruleset(priceChangeAt: change).write(toFile: rulesPath, atomically: true, encoding: .utf8)
        let author = ["--author", "alice@example.com", "--reason", "2026 price list"]
        let since = Timestamps.iso8601(EventTime(micros: start.micros - Self.hour))

        // Without --force a past start is refused and nothing is published.
        let refused = try TallyProcess.run(["rules", "apply", rulesPath, "--config", config, "--at", since] + author)
        #expect(refused.status != 0, "\(refused.output)")
        #expect(refused.output.contains("past-start-without-force"), "\(refused.output)")
        #expect(try RuleLogClient(bootstrapServers: fixture.broker.bootstrapServers).readEvents().isEmpty)

        let applied = try TallyProcess.run(["rules", "apply", rulesPath, "--config", config, "--at", since, "--force"] + author)
        #expect(applied.status == 0, "\(applied.output)")
        #expect(applied.output.contains("accepted at offset"), "\(applied.output)")
        #expect(!applied.output.contains("rejected"), "\(applied.output)")

        // A future price change: the dry run shows end + create and publishes nothing.
        let later = dir.appendingPathComponent("ruleset-later.yaml").path
        try Self.ruleset(priceChangeAt: change).replacingOccurrences(of: "cost: 0.0004", with: "cost: 0.0008")
            .write(toFile: later, atomically: true, encoding: .utf8)
        let nextMonth = Timestamps.iso8601(WallClock.now() + TimeSpan.days(30))
        let client = RuleLogClient(bootstrapServers: fixture.broker.bootstrapServers)
        let eventsBefore = try client.readEvents().count
        let dry = try TallyProcess.run(["rules", "apply", later, "--config", config, "--at", nextMonth, "--dry-run"] + author)
        #expect(dry.status == 0, "\(dry.output)")
        #expect(dry.output.contains("end mapping 'ssd-gold'") && dry.output.contains("create mapping 'ssd-gold'"), "\(dry.output)")
        #expect(try client.readEvents().count == eventsBefore)
        let scheduled = try TallyProcess.run(["rules", "apply", later, "--config", config, "--at", nextMonth] + author)
        #expect(scheduled.status == 0, "\(scheduled.output)")
        let state = try client.readState()
        #expect(state.rejected.isEmpty)
        #expect(state.version == Int64(eventsBefore), "the price change (end + create) is one batch event")

        let simulator = UsageSimulator(seed: 7, start: start, hours: 6, projects: 2, instancesPerProject: 2, volumesPerProject: 1)
        let samples = simulator.samples()
        try fixture.produce(CeilometerEncoder.records(samples, perRecord: 10))
        let run = try TallyProcess.run(["run", "--config", config, "--until-drained"])
        #expect(run.status == 0, "tally run failed: \(run.output)")

        let expected = ExpectedWindows(samples)
        var smallBefore = 0, smallAfter = 0
        var hashes: Set<String> = []
        for entry in try fixture.frames().latest.values {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(entry.bytes)) as? [String: Any])
            let flavor = (object["groupby"] as? [String: Any])?["flavor_name"] as? String
            let windowStart = EventTime(micros: try TimestampParserForTests.micros(entry.windowStart))
            let key = ExpectedWindows.Key(metric: entry.metric, resource: entry.resource,
                                          hour: windowStart.micros / Self.hour, flavor: flavor)
            var price = expected.prices[key] ?? 0
            if flavor == "m1.small" {
                if windowStart >= change { price *= 2; smallAfter += 1 } else { smallBefore += 1 }
            }
            #expect(Decimal(string: entry.price.canonicalText) == price, "\(key): price \(entry.price.canonicalText), expected \(price)")
            let book = try #require(object["rule_book"] as? [String: Any])
            #expect((book["version"] as? NSNumber)?.int64Value == state.version)
            let hash = try #require(book["hash"] as? String)
            let bookHash = try state.ruleBook(at: windowStart).contentHash
            #expect(hash == bookHash)
            hashes.insert(hash)
        }
        #expect(smallBefore > 0 && smallAfter > 0, "the sample data must have m1.small windows on both sides of the change")
        #expect(hashes.count == 2, "one book before the change, one after")

        let show = try TallyProcess.run(["rules", "show", "--config", config, "--at", Timestamps.iso8601(change)])
        let bookAtChange = try state.ruleBook(at: change).contentHash
        #expect(show.status == 0 && show.output.contains(bookAtChange), "\(show.output)")
        let log = try TallyProcess.run(["rules", "log", "--config", config, "--rule", "ssd-gold"])
        // The first apply (create) and the price change (one batch: end, create again).
        #expect(log.status == 0 && log.output.contains("-- 2 of") && log.output.contains("end mapping 'ssd-gold'"),
                "\(log.output)")

        let intact = try TallyProcess.run(["rules", "verify", "--config", config])
        #expect(intact.status == 0, "\(intact.output)")
        #expect(intact.output.contains("intact"), "\(intact.output)")

        // An altered copy of the first mapping event: its stored hash no longer matches.
        let events = try client.readEvents()
        let original = try #require(events.first { String(decoding: $0.bytes, as: UTF8.self).contains(#""cost":"0.025""#) })
        let forged = String(decoding: original.bytes, as: UTF8.self).replacingOccurrences(of: #""cost":"0.025""#, with: #""cost":"0.001""#)
        try TopicIO.produce([Array(forged.utf8)], topic: "tally.rules", bootstrapServers: fixture.broker.bootstrapServers, partitions: 1)
        let broken = try TallyProcess.run(["rules", "verify", "--config", config])
        #expect(broken.status != 0, "\(broken.output)")
        #expect(broken.output.contains("offset \(events.count): altered"), "\(broken.output)")
    }

    /// A running rater started on an empty log picks up rules published while it runs:
    /// the windows it closes afterwards are priced with them and name their version.
    @Test func aRunningRaterFollowsRulesPublishedAfterItStarted() throws {
        let fixture = try EndToEndFixture()
        let config = try Self.writeConfigWithoutRulesFile(fixture, state: "state-live")
        let log = fixture.directory.appendingPathComponent("run.log")
        let process = try TallyProcess.start(["run", "--config", config], log: log)
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: fixture.broker.bootstrapServers))
        let deadline = Date().addingTimeInterval(60)
        // The rater creates the rules topic before it assigns it: then it is following.
        while try admin.partitionCount(of: "tally.rules") == nil, Date() < deadline, process.isRunning { usleep(100_000) }
        #expect(try admin.partitionCount(of: "tally.rules") == 1)

        let start = EventTime(micros: (WallClock.now().micros / Self.hour - 8) * Self.hour)
        let rulesPath = fixture.directory.appendingPathComponent("rules.yaml").path
        let applied = try TallyProcess.run(["rules", "apply", rulesPath, "--config", config, "--force",
                                            "--at", Timestamps.iso8601(EventTime(micros: start.micros - Self.hour)),
                                            "--author", "bob@example.com", "--reason", "first price list"])
        #expect(applied.status == 0, "\(applied.output)")
        let version = try RuleLogClient(bootstrapServers: fixture.broker.bootstrapServers).readState().version
        #expect(version != nil)

        let samples = UsageSimulator(seed: 11, start: start, hours: 6, projects: 1, instancesPerProject: 2,
                                     volumesPerProject: 1).samples()
        try fixture.produce(CeilometerEncoder.records(samples, perRecord: 10))
        let expected = ExpectedWindows(samples)
        // Windows of the first four hours close on the watermark; wait for their frames.
        let closedBefore = start.micros / Self.hour + 4
        let wanted = expected.quantities.keys.filter { $0.metric == "instance" && $0.hour < closedBefore }.count
        var instanceFrames: [FrameLedger.Entry] = []
        while Date() < deadline, process.isRunning {
            instanceFrames = try fixture.frames().latest.values.filter {
                $0.metric == "instance" && ((try? TimestampParserForTests.micros($0.windowStart)) ?? .max) / Self.hour < closedBefore
            }
            if instanceFrames.count >= wanted { break }
            usleep(200_000)
        }
        process.terminate()
        process.waitUntilExit()
        #expect(wanted > 0 && instanceFrames.count == wanted,
                "\(instanceFrames.count) of \(wanted) frames; \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        for entry in instanceFrames {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(entry.bytes)) as? [String: Any])
            let flavor = (object["groupby"] as? [String: Any])?["flavor_name"] as? String
            let key = ExpectedWindows.Key(metric: entry.metric, resource: entry.resource,
                                          hour: try TimestampParserForTests.micros(entry.windowStart) / Self.hour, flavor: flavor)
            #expect(Decimal(string: entry.price.canonicalText) == expected.prices[key], "\(key): \(entry.price.canonicalText)")
            #expect(((object["rule_book"] as? [String: Any])?["version"] as? NSNumber)?.int64Value == version)
        }
    }
}
