import Foundation
import TallyAudit
import TallyDemo
import Testing
import TallyCore
import TallyKafka
import TallyRuntime
import TallyTestSupport
import TallyWire

/// One writer per frames partition (issue 8 item 2), with a real broker and the `tally`
/// binary: `replay --apply` only publishes a correction command, the running rater
/// executes it in its own revision sequence and chain; two concurrent applies and a
/// late sample afterwards end with one consistent chain, `verify` passes and the report
/// bills the latest revision.
@Suite(.serialized) struct CorrectionsEndToEndTests {
    /// A rater running in the background until `stop()` (SIGTERM, then it drains).
    final class LiveRater {
        let process: Process
        let log: URL
        init(config: String) throws {
            log = FileManager.default.temporaryDirectory.appendingPathComponent("tally-live-\(UUID().uuidString).log")
            process = try TallyProcess.start(["run", "--config", config], log: log)
        }
        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        deinit { stop(); try? FileManager.default.removeItem(at: log) }
    }

    static func object(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    /// Every record of the frames topic for `frameId`, in emission order per partition.
    static func revisions(_ fixture: EndToEndFixture, _ frameId: String) throws -> [[String: Any]] {
        try TopicIO.readAll(topic: "tally.frames", bootstrapServers: fixture.broker.bootstrapServers)
            .map { object($0.value) }.filter { $0["frame_id"] as? String == frameId }
    }

    @Test func appliesWhileTheRaterRunsConcurrentlyAndALateSampleAfterwardsKeepOneChain() throws {
        let (fixture, start) = try ReplayEndToEndTests.ratedFixture(seed: 31)
        let range = ["--config", fixture.configPath, "--from", Timestamps.iso8601(start),
                     "--to", Timestamps.iso8601(start + TimeSpan.hours(6))]
        let before = try fixture.frames()
        let rater = try LiveRater(config: fixture.configPath)
        defer { rater.stop() }

        // vcpus become priced (0.01 per vcpu-hour) from before the range: a backdated change on the rule log.
        let repriced = fixture.directory.appendingPathComponent("repriced.yaml").path
        try (EndToEndFixture.rules + "  vcpus:\n    mappings:\n      - {id: vcpu-base, type: flat, cost: 0.01, group: compute}\n")
            .write(toFile: repriced, atomically: true, encoding: .utf8)
        let change = try TallyProcess.run(["rules", "apply", repriced, "--config", fixture.configPath, "--force",
                                           "--at", Timestamps.iso8601(start - TimeSpan.hours(1)),
                                           "--author", "ops@example.com", "--reason", "vcpus priced"])
        try #require(change.status == 0, "\(change.output)")
        let vcpuFrames = before.latest.values.filter { $0.metric == "vcpus" }
        try #require(!vcpuFrames.isEmpty)

        // Three applies at the same time: two operators with different reasons (two replay
        // ids), and the first one's command run twice (the same replay id).
        let reasons = ["vcpus priced, take 0", "vcpus priced, take 1", "vcpus priced, take 0"]
        let logs = (0..<3).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("tally-apply-\(UUID().uuidString).log") }
        defer { for l in logs { try? FileManager.default.removeItem(at: l) } }
        let applies = try (0..<3).map { i in
            try TallyProcess.start(["replay"] + range + ["--format", "json", "--apply", "--author", "ops@example.com",
                                                         "--reason", reasons[i], "--wait", "120"], log: logs[i])
        }
        for p in applies { p.waitUntilExit() }
        let outputs = logs.map { (try? String(contentsOf: $0, encoding: .utf8)) ?? "" }
        for (i, p) in applies.enumerated() { #expect(p.terminationStatus == 0, "\(outputs[i])") }
        let results = try outputs.map { try ReplayEndToEndTests.json($0) }
        for r in results { #expect(r["corrections_status"] as? String == "executed", "\(r)") }
        let emitted = results.map { $0["corrections_emitted"] as? Int ?? -1 }
        // Whichever replay id ran second found the windows already corrected (nothing to
        // do) or skipped them as revised since its replay: never a second correction.
        #expect([emitted[0], emitted[1]].sorted() == [0, vcpuFrames.count], "\(outputs)")
        // The same replay applied twice at once is one command, executed once: both see
        // its receipt, or the later one found nothing left to correct.
        #expect(results[0]["replay_id"] as? String == results[2]["replay_id"] as? String)
        #expect(emitted[2] == emitted[0] || emitted[2] == 0, "\(outputs)")

        var after = try fixture.frames()
        #expect(after.conflicts.isEmpty, "\(after.conflicts)")
        for old in vcpuFrames {
            let new = try #require(after.latest[old.frameId])
            #expect(new.revision == old.revision + 1)
            #expect(new.price == old.quantity * ExactDecimal("0.01")!)
            let object = Self.object(new.bytes)
            #expect(object["correction"] != nil)
            #expect(object["previous_price"] as? String == old.price.canonicalText)
        }

        // A late vcpus sample (more vcpus) for a corrected window, while the rater runs.
        let victim = try #require(vcpuFrames.sorted { $0.frameId < $1.frameId }.first)
        let victimStart = try TimestampParser.parse(victim.windowStart)
        let simulator = UsageSimulator(seed: 31, start: start, hours: 6, projects: 2, instancesPerProject: 2, volumesPerProject: 1)
        var late = try #require(simulator.samples().first { $0.metric == "vcpus" && $0.resource == victim.resource })
        late.id = "late-vcpus-sample"
        late.volume = "64"
        late.timestamp = victimStart + TimeSpan.minutes(30)
        try fixture.produce([CeilometerEncoder.record([late][...], messageID: "late-vcpus")])
        let deadline = Date().addingTimeInterval(60)
        while try Self.revisions(fixture, victim.frameId).count < victim.revision + 2 && Date() < deadline { usleep(200_000) }
        rater.stop()

        let chain = try Self.revisions(fixture, victim.frameId)
        #expect(chain.map { $0["revision"] as? Int ?? 0 } == Array(1...(victim.revision + 2)), "\(chain)")
        let lateRevision = try #require(chain.last)
        #expect(lateRevision["correction"] == nil)
        #expect(lateRevision["quantity"] as? String == "64")
        #expect(lateRevision["price"] as? String == "0.64", "priced by the rule log the correction came from")
        #expect(lateRevision["previous_price"] as? String == chain[chain.count - 2]["price"] as? String)

        after = try fixture.frames()
        #expect(after.latest[victim.frameId]?.revision == victim.revision + 2)
        let verify = try TallyProcess.run(["verify"] + range)
        #expect(verify.status == 0, "\(verify.output)")
        let report = try ReportTraceTests.tally(["report"] + range + ["--scope", victim.scope, "--format", "json"])
        #expect(report.status == 0, "\(report.err)")
        let rows = (Self.object(Array(report.out.utf8))["rows"] as? [[String: Any]]) ?? []
        let billed = after.latest.values.filter { $0.scope == victim.scope && (try? TimestampParser.parse($0.windowStart)).map {
            start <= $0 && $0 < start + TimeSpan.hours(6) } == true }
            .reduce(ExactDecimal.zero) { $0 + $1.price }
        let price = rows.first.flatMap { ($0["price"] as? String) ?? ($0["price"] as? NSNumber)?.stringValue }.flatMap(ExactDecimal.init)
        #expect(price == billed, "\(report.out)")
    }

    /// A record value for `members` as the next link of `partition`'s chain, with the
    /// content hash recomputed: only the revision and correction checks can tell.
    static func forge(_ members: [String: CanonicalJSON], after records: [TopicIO.Record], partition: Int32) throws -> [UInt8] {
        let last = try #require(records.last { $0.partition == partition })
        guard case let .object(lastMembers) = try CanonicalJSONParser.parse(last.value), case let .string(head)? = lastMembers["content_hash"] else {
            throw CocoaError(.formatting)
        }
        var body = members
        body["content_hash"] = nil; body["previous_hash"] = nil
        var out = body
        out["content_hash"] = .string(SHA256.hex(CanonicalJSON.object(body).bytes))
        out["previous_hash"] = .string(head)
        return CanonicalJSON.object(out).bytes
    }

    static func members(_ bytes: [UInt8]) throws -> [String: CanonicalJSON] {
        guard case let .object(m) = try CanonicalJSONParser.parse(bytes) else { throw CocoaError(.formatting) }
        return m
    }

    @Test func verifyChecksCorrectionsAndEveryRevisionAndShowsTheDifferenceInFull() throws {
        let (fixture, start) = try ReplayEndToEndTests.ratedFixture(seed: 37)
        let range = ["--config", fixture.configPath, "--from", Timestamps.iso8601(start),
                     "--to", Timestamps.iso8601(start + TimeSpan.hours(6))]
        let repriced = fixture.directory.appendingPathComponent("repriced.yaml").path
        try (EndToEndFixture.rules + "  vcpus:\n    mappings:\n      - {id: vcpu-base, type: flat, cost: 0.01, group: compute}\n")
            .write(toFile: repriced, atomically: true, encoding: .utf8)
        let change = try TallyProcess.run(["rules", "apply", repriced, "--config", fixture.configPath, "--force",
                                           "--at", Timestamps.iso8601(start - TimeSpan.hours(1)),
                                           "--author", "ops@example.com", "--reason", "vcpus priced"])
        try #require(change.status == 0, "\(change.output)")
        let apply = try TallyProcess.run(["replay"] + range + ["--format", "json", "--apply", "--author", "ops@example.com",
                                                               "--reason", "vcpus priced", "--wait", "0"])
        try #require(apply.status == 0, "\(apply.output)")
        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        try #require(run.status == 0, "\(run.output)")
        let good = try TallyProcess.run(["verify"] + range)
        #expect(good.status == 0, "\(good.output)")
        let ledger = try fixture.frames()
        let corrections = ledger.latest.values.filter { Self.object($0.bytes)["correction"] != nil }
        try #require(!corrections.isEmpty)
        #expect(good.output.contains("\(corrections.count) correction(s) checked"), "\(good.output)")

        let bootstrap = fixture.broker.bootstrapServers
        var records = try TopicIO.readAll(topic: "tally.frames", bootstrapServers: bootstrap)
        func append(_ members: [String: CanonicalJSON], _ partition: Int32) throws {
            try KafkaTestIO.produce([try Self.forge(members, after: records, partition: partition)], to: "tally.frames",
                                    partition: partition, bootstrapServers: bootstrap)
            records = try TopicIO.readAll(topic: "tally.frames", bootstrapServers: bootstrap)
        }
        func partition(of entry: FrameLedger.Entry) -> Int32 { Int32(Self.object(entry.bytes)["output_partition"] as? Int ?? -1) }

        // 1. A correction copied as the next revision with its price changed.
        let copied = try #require(corrections.sorted { $0.frameId < $1.frameId }.first)
        var copy = try Self.members(copied.bytes)
        copy["revision"] = .integer(Int64(copied.revision + 1))
        copy["previous_price"] = .decimal(copied.price)
        copy["price"] = .decimal(copied.price + ExactDecimal("1")!)
        copy["price_delta"] = .decimal(ExactDecimal("1")!)
        try append(copy, partition(of: copied))

        // 2. An invented correction zeroing an instance charge, naming the real replay.
        let zeroed = try #require(ledger.latest.values.filter { $0.metric == "instance" && $0.price > .zero }
            .sorted { $0.frameId < $1.frameId }.first)
        var invented = try Self.members(zeroed.bytes)
        invented["revision"] = .integer(Int64(zeroed.revision + 1))
        invented["previous_price"] = .decimal(zeroed.price)
        invented["price"] = .decimal(.zero)
        invented["price_delta"] = .decimal(.zero - zeroed.price)
        invented["correction"] = copy["correction"]
        try append(invented, partition(of: zeroed))

        // 3. A rated revision with another sample digest (a lineage member deep inside).
        let relined = try #require(ledger.latest.values.filter { $0.metric == "volume.size" }.sorted { $0.frameId < $1.frameId }.first)
        var other = try Self.members(relined.bytes)
        guard case var .object(lineage)? = other["lineage"] else { Issue.record("no lineage"); return }
        let forgedDigest = String(repeating: "ab", count: 16)
        let realDigest = { if case let .string(d)? = lineage["sample_digest"] { return d } else { return "" } }()
        lineage["sample_digest"] = .string(forgedDigest)
        other["lineage"] = .object(lineage)
        other["revision"] = .integer(Int64(relined.revision + 1))
        other["previous_price"] = .decimal(relined.price)
        other["price_delta"] = .decimal(.zero)
        try append(other, partition(of: relined))

        let bad = try TallyProcess.run(["verify"] + range)
        #expect(bad.status == 1, "\(bad.output)")
        let lines = bad.output.split(separator: "\n").map(String.init)
        #expect(!lines.contains { $0.hasPrefix("CHAIN BROKEN") }, "the forgeries are chained properly: \(bad.output)")
        #expect(lines.contains { $0.hasPrefix("CORRECTION: frame \(copied.frameId) revision \(copied.revision + 1)") }, "\(bad.output)")
        #expect(lines.contains { $0.contains("frame \(zeroed.frameId) revision \(zeroed.revision + 1)") }, "\(bad.output)")
        let digestLine = lines.first { $0.hasPrefix("NOT REPRODUCED: frame \(relined.frameId) revision \(relined.revision + 1)") }
        #expect(digestLine?.contains(forgedDigest) == true && digestLine?.contains(realDigest) == true,
                "both digests in full: \(digestLine ?? bad.output)")
        let summary = try #require(lines.last { $0.hasPrefix("tally verify:") })
        #expect(summary.contains("FAILED") && !summary.contains("reproduced with"), "\(summary)")
    }
}
