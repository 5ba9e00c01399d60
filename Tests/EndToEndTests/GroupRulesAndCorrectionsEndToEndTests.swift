import Foundation
import Testing
import TallyAudit
import TallyCore
import TallyRuntime
import TallyWire

/// Raters in a group follow the rule log live and execute `tally replay --apply`'s
/// corrections (docs/SCALE.md), as processes against the real broker: no restart for a
/// rule change, each correction item executed once by the task that owns its chain, and
/// not again when the task moves to another rater.
@Suite(.serialized) struct GroupRulesAndCorrectionsEndToEndTests {
    static func object(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    static func ruleBook(_ bytes: [UInt8]) -> (version: Int64?, hash: String?) {
        let book = object(bytes)["rule_book"] as? [String: Any]
        return ((book?["version"] as? NSNumber)?.int64Value, book?["hash"] as? String)
    }

    static func flavor(_ bytes: [UInt8]) -> String? { (object(bytes)["groupby"] as? [String: Any])?["flavor_name"] as? String }

    static func hour(_ entry: FrameLedger.Entry) -> Int64 {
        ((try? TimestampParserForTests.micros(entry.windowStart)) ?? -1) / 3_600_000_000
    }

    /// Publishes `rules` on the rule log, in force from `at` (backdated: `--force`).
    static func publish(_ rules: String, named name: String, at: EventTime, _ setup: GroupRaterSetup, reason: String) throws {
        let path = setup.fixture.directory.appendingPathComponent(name).path
        try rules.write(toFile: path, atomically: true, encoding: .utf8)
        let change = try TallyProcess.run(["rules", "apply", path, "--config", setup.fixture.configPath, "--force",
                                           "--at", Timestamps.iso8601(at), "--author", "ops@example.com", "--reason", reason])
        try #require(change.status == 0, "\(change.output)")
    }

    /// Rater a alone (it owns all 3 partitions), then b: they split the partitions.
    static func startTwoRaters(_ setup: GroupRaterSetup) throws -> (Process, Process) {
        let a = try setup.startRater("a")
        #expect(setup.waitForOwnership([("a", 3)], seconds: 60), "\(setup.logs(["a"]))")
        let b: Process
        do { b = try setup.startRater("b") } catch { _ = GroupRaterSetup.stop(a); throw error }
        #expect(setup.waitForSplit(["a", "b"]), "\(setup.logs(["a", "b"]))")
        return (a, b)
    }

    /// Waits until every rater's log names the rule change at `offset` (folded live).
    static func waitForRuleChange(_ setup: GroupRaterSetup, _ names: [String], offset: Int64) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        func seen() -> Bool {
            names.allSatisfy { GroupRaterSetup.text(setup.log($0)).split(separator: "\n").contains {
                $0.contains("rule change") && $0.contains("offset=\(offset)")
            } }
        }
        while !seen() && Date() < deadline { usleep(100_000) }
        return seen()
    }

    /// Two raters; the first half of the input is rated with the seeded rules; then m1.small's
    /// price doubles on the rule log (backdated over the whole range) while they run; the rest
    /// is rated. Windows closed before the change name the seeded book and its price, windows
    /// closed after it the new book and the new price, nothing is revised, verify passes, and
    /// neither rater restarted.
    @Test func aRuleChangeIsPickedUpLiveByEveryTask() throws {
        let setup = try GroupRaterSetup(group: "rules-live")
        let (a, b) = try Self.startTwoRaters(setup)
        defer { _ = GroupRaterSetup.stop(a); _ = GroupRaterSetup.stop(b) }
        let client = RuleLogClient(bootstrapServers: setup.fixture.broker.bootstrapServers)
        let seeded = try client.readState()
        let seededVersion = try #require(seeded.version)

        // The first half; wait until every window ending two hours before its last sample has a frame.
        let half = setup.records.count / 2
        try setup.produce(0..<half)
        let expected = ExpectedWindows(setup.samples)
        let hourOf = { (i: Int) in setup.samples[i].timestamp.micros / 3_600_000_000 }
        // Closed by the first half (every partition's clock passes their end and grace), and
        // fed only by the second half, produced after the change.
        let lastEarlyHour = setup.sampleRanges[..<half].flatMap { $0 }.map(hourOf).max() ?? 0
        let firstLateHour = setup.sampleRanges[half...].flatMap { $0 }.map(hourOf).min() ?? 0
        let early = Set(expected.quantities.keys.filter { $0.hour <= lastEarlyHour - 2 }.map { "\($0.metric) \($0.resource) \($0.hour)" })
        try #require(!early.isEmpty)
        var closedEarly: [String: FrameLedger.Entry] = [:]
        var deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            closedEarly = [:]
            for entry in try setup.fixture.frames().latest.values where early.contains("\(entry.metric) \(entry.resource) \(Self.hour(entry))") {
                closedEarly[entry.frameId] = entry
            }
            if closedEarly.count >= early.count { break }
            usleep(200_000)
        }
        #expect(closedEarly.count == early.count, "\(closedEarly.count) of \(early.count) early windows rated; \(setup.logs(["a", "b"]))")

        let doubled = EndToEndFixture.rules.replacingOccurrences(of: "{id: m1-small, value: m1.small, type: flat, cost: 0.025",
                                                                  with: "{id: m1-small, value: m1.small, type: flat, cost: 0.05")
        try Self.publish(doubled, named: "doubled.yaml", at: setup.start - TimeSpan.hours(1), setup, reason: "m1.small doubled")
        let changed = try client.readState()
        let newVersion = try #require(changed.version)
        #expect(newVersion > seededVersion)
        #expect(Self.waitForRuleChange(setup, ["a", "b"], offset: newVersion), "\(setup.logs(["a", "b"]))")

        try setup.produce(half..<setup.records.count)
        try setup.produceClosers()
        // Every window rated, once.
        var ledger = try setup.fixture.frames()
        deadline = Date().addingTimeInterval(240)
        func allRated(_ l: FrameLedger) -> Bool { l.latest.values.filter { !$0.resource.hasPrefix("closer-") }.count >= expected.quantities.count }
        while !allRated(ledger) && Date() < deadline { usleep(500_000); ledger = try setup.fixture.frames() }
        #expect(allRated(ledger), "\(ledger.latest.count) frames for \(expected.quantities.count) windows")
        #expect(ledger.conflicts.isEmpty, "\(ledger.conflicts.prefix(5))")

        var newlyPriced = 0, oldPriced = 0
        for entry in ledger.latest.values where !entry.resource.hasPrefix("closer-") {
            let key = ExpectedWindows.Key(metric: entry.metric, resource: entry.resource, hour: Self.hour(entry),
                                          flavor: entry.metric == "instance" ? Self.flavor(entry.bytes) : nil)
            let book = Self.ruleBook(entry.bytes)
            #expect(entry.revision == 1, "\(key): revised to \(entry.revision) (a rule change revises nothing)")
            let start = try TimestampParser.parse(entry.windowStart)
            let seededHash = try seeded.ruleBook(at: start).contentHash, newHash = try changed.ruleBook(at: start).contentHash
            #expect(seededHash != newHash, "the change is a new book over the whole range")
            if closedEarly[entry.frameId] != nil {
                // Closed before the change: the seeded book, named with its hash.
                #expect(book.version == seededVersion && book.hash == seededHash, "\(key): \(book)")
            } else if key.hour > firstLateHour {
                // Its samples were produced after every rater folded the change: the new book.
                #expect(book.version == newVersion && book.hash == newHash, "\(key): \(book)")
            }
            #expect(book.version == seededVersion || book.version == newVersion, "\(key): \(book)")
            var price = expected.prices[key] ?? 0
            if book.version == newVersion && key.flavor == "m1.small" { price *= 2; newlyPriced += 1 }
            if book.version == seededVersion && key.flavor == "m1.small" { oldPriced += 1 }
            #expect(Decimal(string: entry.price.canonicalText) == price, "\(key) priced \(entry.price.canonicalText) by \(book), expected \(price)")
        }
        #expect(newlyPriced > 0 && oldPriced > 0, "m1.small windows on each book: old \(oldPriced), new \(newlyPriced)")
        let verify = try setup.verify()
        #expect(verify.status == 0, "verify: \(verify.output.split(separator: "\n").filter { !$0.hasPrefix("  ok") }.prefix(12))")
        #expect(a.isRunning && b.isRunning, "no restart")
        #expect(GroupRaterSetup.stop(a) == 0 && GroupRaterSetup.stop(b) == 0, "\(setup.logs(["a", "b"]))")
        print("group rules live: \(oldPriced) m1.small windows on version \(seededVersion), \(newlyPriced) on version \(newVersion)")
    }

    /// Two raters rate everything; vcpus become priced on the rule log (backdated) and a
    /// replay's corrections are applied: every vcpus window, on both raters' partitions, is
    /// corrected exactly once, by the task of its chain, with a receipt naming the partition.
    /// Then c joins and tasks move to raters that never had them (restored from the
    /// changelog); each executes a second command, but not the first again. Verify passes after each.
    @Test func correctionsAreExecutedOnceByTheTaskOfEachChainAndNotAgainAfterAMove() throws {
        let setup = try GroupRaterSetup(group: "corrections")
        let (a, b) = try Self.startTwoRaters(setup)
        defer { _ = GroupRaterSetup.stop(a); _ = GroupRaterSetup.stop(b) }
        try setup.produce(0..<setup.records.count)
        try setup.produceClosers()
        let (rated, problems) = try setup.waitForExactFrames(seconds: 240)
        try #require(problems.isEmpty, "\(problems.prefix(10)); \(setup.logs(["a", "b"]))")
        let inRange = { (e: FrameLedger.Entry) in !e.resource.hasPrefix("closer-") }
        let vcpus = rated.latest.values.filter { $0.metric == "vcpus" && inRange($0) }
        let partitionOf = try Self.partitions(setup)
        let vcpuPartitions = Set(vcpus.compactMap { partitionOf[$0.frameId] })
        try #require(vcpuPartitions.count >= 2, "vcpus windows on several partitions: \(vcpuPartitions)")

        let vcpusPriced = EndToEndFixture.rules + "  vcpus:\n    mappings:\n      - {id: vcpu-base, type: flat, cost: 0.01, group: compute}\n"
        try Self.publish(vcpusPriced, named: "vcpus.yaml", at: setup.start - TimeSpan.hours(1), setup, reason: "vcpus priced")
        let first = try Self.apply(setup, reason: "vcpus priced")
        #expect(first["corrections_status"] as? String == "executed", "\(first); \(setup.logs(["a", "b"]))")
        #expect(first["corrections_emitted"] as? Int == vcpus.count, "\(first)")
        let firstId = try #require(first["replay_id"] as? String)

        var all = try TopicIO.readAll(topic: "tally.frames", bootstrapServers: setup.fixture.broker.bootstrapServers)
        try Self.checkCorrectedOnce(vcpus, replayId: firstId, frames: all, price: { $0.quantity * ExactDecimal("0.01")! })
        // A receipt per partition holding vcpus windows, each listing exactly that partition's windows.
        let log = try CorrectionsLog.read(config: ServiceConfig.load(path: setup.fixture.configPath))
        let receipts = log.receipts(of: firstId)
        #expect(Set(receipts.compactMap(\.partition)) == vcpuPartitions && receipts.allSatisfy { $0.partition != nil }, "\(receipts)")
        for partition in vcpuPartitions {
            let ofPartition = receipts.filter { $0.partition == partition }
            let listed = Set(ofPartition.flatMap(\.corrected.keys))
            let owned = Set(vcpus.filter { partitionOf[$0.frameId] == partition }.map(\.frameId))
            #expect(listed == owned && ofPartition.allSatisfy(\.skipped.isEmpty), "partition \(partition): \(ofPartition)")
        }
        // Both raters executed their share.
        for name in ["a", "b"] {
            #expect(GroupRaterSetup.text(setup.log(name)).contains("replay \(firstId) part "),
                    "\(setup.logs([name]))")
        }
        var verify = try setup.verify()
        #expect(verify.status == 0, "verify: \(verify.output.split(separator: "\n").filter { !$0.hasPrefix("  ok") }.prefix(12))")

        // c joins: tasks move to raters that never had them (range: a 0, b 1, c 2; before, a
        // had 0 and 1, b 2), restored from the changelog with the executed command in their
        // state. (A static member that stops is never replaced on noida-db, docs/SCALE.md, so
        // the move is a join, as in the scaling test.)
        let c = try setup.startRater("c")
        defer { _ = GroupRaterSetup.stop(c) }
        #expect(setup.waitForSplit(["a", "b", "c"]), "\(setup.logs(["a", "b", "c"]))")
        #expect(GroupRaterSetup.mostRestored(setup.log("c")) > 0, "c restored its task from the changelog: \(setup.logs(["c"]))")
        // A second command (every volume price doubled): each task executes it, so it has read
        // past the first command, and corrected nothing twice.
        let volumesDoubled = vcpusPriced.replacingOccurrences(of: "cost: 0.0004", with: "cost: 0.0008")
            .replacingOccurrences(of: "cost: 0.0003", with: "cost: 0.0006").replacingOccurrences(of: "cost: 0.0001", with: "cost: 0.0002")
        try Self.publish(volumesDoubled, named: "volumes.yaml", at: setup.start - TimeSpan.hours(1), setup, reason: "volumes doubled")
        let second = try Self.apply(setup, reason: "volumes doubled")
        let volumes = rated.latest.values.filter { $0.metric == "volume.size" && inRange($0) }
        #expect(second["corrections_status"] as? String == "executed", "\(second); \(setup.logs(["a", "b", "c"]))")
        #expect(second["corrections_emitted"] as? Int == volumes.count, "\(second)")
        let secondId = try #require(second["replay_id"] as? String)

        all = try TopicIO.readAll(topic: "tally.frames", bootstrapServers: setup.fixture.broker.bootstrapServers)
        try Self.checkCorrectedOnce(vcpus, replayId: firstId, frames: all, price: { $0.quantity * ExactDecimal("0.01")! })
        try Self.checkCorrectedOnce(volumes, replayId: secondId, frames: all, price: { $0.price * ExactDecimal("2")! })
        let after = try CorrectionsLog.read(config: ServiceConfig.load(path: setup.fixture.configPath))
        #expect(after.receipts.filter { $0.receipt.replayId == firstId }.count == receipts.count, "the first command was not executed again")
        #expect(Set(after.receipts(of: secondId).compactMap(\.partition)) == Set(volumes.compactMap { partitionOf[$0.frameId] }))
        // One execution of each part of the first command per partition, over every rater's whole log.
        let executions = setup.logs(["a", "b", "c"]).split(separator: "\n").filter { $0.contains("replay \(firstId) part ") }
        #expect(executions.count == receipts.count, "\(executions)")
        verify = try setup.verify()
        #expect(verify.status == 0, "verify: \(verify.output.split(separator: "\n").filter { !$0.hasPrefix("  ok") }.prefix(12))")
        #expect(GroupRaterSetup.text(setup.log("c")).contains("replay \(secondId) part "), "\(setup.logs(["c"]))")
        let statuses = [GroupRaterSetup.stop(a), GroupRaterSetup.stop(b), GroupRaterSetup.stop(c)]
        #expect(statuses == [0, 0, 0], "\(setup.logs(["a", "b", "c"]))")
    }

    /// `tally replay --apply` over the whole range, waiting for the raters' receipts; its JSON.
    static func apply(_ setup: GroupRaterSetup, reason: String) throws -> [String: Any] {
        let run = try TallyProcess.run(["replay", "--config", setup.fixture.configPath, "--from", Timestamps.iso8601(setup.start),
                                        "--to", Timestamps.iso8601(setup.start + TimeSpan.hours(Int64(setup.hours))),
                                        "--format", "json", "--apply", "--author", "ops@example.com", "--reason", reason,
                                        "--wait", "120"], timeout: 600)
        try #require(run.status == 0, "\(run.output)")
        return try ReplayEndToEndTests.json(run.output)
    }

    /// frame id → the frames partition its first revision was read from.
    static func partitions(_ setup: GroupRaterSetup) throws -> [String: Int32] {
        var out: [String: Int32] = [:]
        for r in try TopicIO.readAll(topic: "tally.frames", bootstrapServers: setup.fixture.broker.bootstrapServers) {
            if let id = object(r.value)["frame_id"] as? String, out[id] == nil { out[id] = r.partition }
        }
        return out
    }

    /// Each of `windows` has exactly one correction revision of `replayId`, the next revision
    /// after the one it had, on the partition of its chain, priced `price(window)`.
    static func checkCorrectedOnce(_ windows: [FrameLedger.Entry], replayId: String, frames: [TopicIO.Record],
                                   price: (FrameLedger.Entry) -> ExactDecimal) throws {
        var corrections: [String: [(partition: Int32, members: [String: Any])]] = [:]
        var partitionOf: [String: Int32] = [:]
        for r in frames {
            let o = object(r.value)
            guard let id = o["frame_id"] as? String else { continue }
            if partitionOf[id] == nil { partitionOf[id] = r.partition }
            if (o["correction"] as? [String: Any])?["replay_id"] as? String == replayId { corrections[id, default: []].append((r.partition, o)) }
        }
        for w in windows {
            let found = corrections[w.frameId] ?? []
            #expect(found.count == 1, "\(w.metric) \(w.resource) \(w.windowStart): \(found.count) correction(s) of \(replayId)")
            guard let c = found.first else { continue }
            #expect(c.partition == partitionOf[w.frameId], "on its chain's partition")
            #expect(c.members["price"] as? String == price(w).canonicalText, "\(w.frameId): \(c.members["price"] ?? "none")")
            #expect(c.members["revision"] as? Int == w.revision + 1, "\(w.frameId): the next revision")
        }
        #expect(Set(corrections.keys) == Set(windows.map(\.frameId)), "corrections only of the windows the replay changed")
    }
}
