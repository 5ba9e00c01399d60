import Foundation
import Testing
import TallyCore
import TallyKafka
import TallyRuntime
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

        // Two operators apply at the same time, for different reasons (two replay ids).
        let logs = (0..<2).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("tally-apply-\(UUID().uuidString).log") }
        defer { for l in logs { try? FileManager.default.removeItem(at: l) } }
        let applies = try (0..<2).map { i in
            try TallyProcess.start(["replay"] + range + ["--format", "json", "--apply", "--author", "ops\(i)@example.com",
                                                         "--reason", "vcpus priced, take \(i)", "--wait", "120"], log: logs[i])
        }
        for p in applies { p.waitUntilExit() }
        let outputs = logs.map { (try? String(contentsOf: $0, encoding: .utf8)) ?? "" }
        for (i, p) in applies.enumerated() { #expect(p.terminationStatus == 0, "\(outputs[i])") }
        let results = try outputs.map { try ReplayEndToEndTests.json($0) }
        for r in results { #expect(r["corrections_status"] as? String == "executed", "\(r)") }
        let emitted = results.map { $0["corrections_emitted"] as? Int ?? -1 }
        // Whichever ran second found the windows already corrected (nothing to do) or
        // skipped them as revised since its replay: never a second correction.
        #expect(emitted.sorted() == [0, vcpuFrames.count], "\(outputs)")

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
        let report = try TallyProcess.run(["report"] + range + ["--scope", victim.scope, "--format", "json"])
        #expect(report.status == 0, "\(report.output)")
        let rows = (Self.object(Array(report.output.utf8))["rows"] as? [[String: Any]]) ?? []
        let billed = after.latest.values.filter { $0.scope == victim.scope && (try? TimestampParser.parse($0.windowStart)).map {
            start <= $0 && $0 < start + TimeSpan.hours(6) } == true }
            .reduce(ExactDecimal.zero) { $0 + $1.price }
        let price = rows.first.flatMap { ($0["price"] as? String) ?? ($0["price"] as? NSNumber)?.stringValue }.flatMap(ExactDecimal.init)
        #expect(price == billed, "\(report.output)")
    }
}
