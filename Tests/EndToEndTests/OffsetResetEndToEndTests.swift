import Foundation
import TallyAudit
import TallyDemo
import Testing
import TallyCore
import TallyKafka
import TallyRuntime
import TallyTestSupport

/// Stored offsets beyond the input topic (cluster rebuilt, topic recreated with fewer
/// records): the rater must decide per partition and say so, never spin silently.
/// The "rebuilt cluster" is a second broker process with a fresh data directory, and
/// the same LMDB state.
@Suite(.serialized) struct OffsetResetEndToEndTests {
    @Test func storedOffsetsBeyondARecreatedTopicStopWithAClearErrorOrResumeAsConfigured() throws {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 6) * 3_600_000_000)
        let before = UsageSimulator(seed: 11, start: start, hours: 2, projects: 1, instancesPerProject: 2, volumesPerProject: 1)
        let oldRecords = CeilometerEncoder.records(before.samples(), perRecord: 2)
        #expect(oldRecords.count >= 30)  // ≥ 10 per partition: well above what the new topic will hold
        try fixture.produce(oldRecords)
        let first = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(first.status == 0, "\(first.output)")

        // The cluster is rebuilt: the input topic now holds one record per partition.
        let rebuilt = try BrokerProcess.start()
        defer { rebuilt.stop() }
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: rebuilt.bootstrapServers))
        _ = try admin.createTopic("metering.sample", partitions: 3)
        var fresh = UsageSimulator(seed: 12, start: start + TimeSpan.hours(3), hours: 1, projects: 1,
                                   instancesPerProject: 1, volumesPerProject: 0).samples().filter { $0.metric == "instance" }
        fresh = Array(fresh.prefix(3))
        for i in fresh.indices { fresh[i].id = "after-rebuild-\(i)"; fresh[i].resource = "vm-after-rebuild" }
        #expect(fresh.count == 3)
        try TopicIO.produce(fresh.map { CeilometerEncoder.record([$0][...], messageID: "m-\($0.id)") },
                            topic: "metering.sample", bootstrapServers: rebuilt.bootstrapServers, partitions: 3)
        let original = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
        let pointed = original.replacingOccurrences(of: fixture.broker.bootstrapServers, with: rebuilt.bootstrapServers)
        try pointed.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)

        // Default (fail): a clear error naming topic, partition, both offsets; non-zero exit, promptly.
        let started = Date()
        let failed = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"], timeout: 90)
        #expect(Date().timeIntervalSince(started) < 80, "no decision within 80 s: \(failed.output)")
        #expect(failed.status != 0, "\(failed.output)")
        #expect(failed.output.contains("input metering.sample["), "\(failed.output)")
        #expect(failed.output.contains("is beyond the end of the partition"), "\(failed.output)")
        #expect(failed.output.contains("the broker holds offsets 0..<1"), "\(failed.output)")
        #expect(failed.output.range(of: #"stored offset (1[0-9]|[2-9][0-9])"#, options: .regularExpression) != nil,
                "\(failed.output)")
        #expect(try TopicIO.readAll(topic: "tally.frames", bootstrapServers: rebuilt.bootstrapServers)
            .allSatisfy { !String(decoding: $0.value, as: UTF8.self).contains("vm-after-rebuild") })

        // earliest: every partition resumes at its first record, logged and counted; the new records are rated.
        let kafkaLine = "kafka:\n  on_offset_reset: earliest\n"
        try pointed.replacingOccurrences(of: "kafka:\n", with: kafkaLine)
            .write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let resumed = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"], timeout: 120)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.components(separatedBy: "tally: offset reset (on_offset_reset: earliest): input metering.sample[")
            .count - 1 == 3, "\(resumed.output)")
        let counters = TallyProcess.counters(in: resumed.output)
        #expect(counters["offset_resets"] == 3)
        #expect(counters["records_in"] == UInt64(oldRecords.count + 3))
        #expect(counters["samples_folded"] == UInt64(before.samples().count + 3))
        var ledger = FrameLedger()
        for r in try TopicIO.readAll(topic: "tally.frames", bootstrapServers: rebuilt.bootstrapServers) { ledger.add(r.value) }
        let rebuiltFrames = ledger.latest.values.filter { $0.resource == "vm-after-rebuild" }
        #expect(rebuiltFrames.count == 1, "\(ledger.latest.values.map(\.resource))")
        #expect(rebuiltFrames.first?.quantity.canonicalText == "1")
    }
}
