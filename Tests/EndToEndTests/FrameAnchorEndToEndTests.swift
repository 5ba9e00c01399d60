import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyKafka
import TallyRuntime
import TallyTestSupport

/// Verify sees everything it vouches for (issue 8 item 10), with a real broker and the
/// `tally` binary: input windows without a frame fail once the rater's clock has closed
/// them (or when nothing was emitted at all), and the rater's checkpoints and
/// `--expected-head` anchor each frames partition so that a lost tail is named.
@Suite(.serialized) struct FrameAnchorEndToEndTests {
    @Test func anEmptyFramesTopicAndATruncatedPartitionFailVerifyNamingThePartition() throws {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / ReplayEndToEndTests.hour - 8) * ReplayEndToEndTests.hour)
        let simulator = UsageSimulator(seed: 41, start: start, hours: 6, projects: 2, instancesPerProject: 2, volumesPerProject: 1)
        try fixture.produce(CeilometerEncoder.records(simulator.samples(), perRecord: 10))
        let range = ["--from", Timestamps.iso8601(start), "--to", Timestamps.iso8601(start + TimeSpan.hours(6))]
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: fixture.broker.bootstrapServers))
        _ = try admin.createTopic("tally.frames", partitions: 3)

        // Input, but no frame and no checkpoint at all.
        let empty = try TallyProcess.run(["verify", "--config", fixture.configPath] + range)
        #expect(empty.status == 1, "\(empty.output)")
        #expect(empty.output.contains("MISSING: frame "), "\(empty.output)")

        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        try #require(run.status == 0, "\(run.output)")
        let heads = run.output.split(separator: "\n").filter { $0.hasPrefix("frames_head ") }.map { String($0.dropFirst("frames_head ".count)) }
        #expect(heads.count == 3, "\(run.output)")
        let good = try TallyProcess.run(["verify", "--config", fixture.configPath] + range + heads.flatMap { ["--expected-head", $0] })
        #expect(good.status == 0, "\(good.output)")

        // The frames topic as it would be after losing the last 5 frames of the busiest
        // partition: a copy without them, verified with the rater's checkpoints.
        let records = try TopicIO.readAll(topic: "tally.frames", bootstrapServers: fixture.broker.bootstrapServers)
        let busiest = Dictionary(grouping: records, by: \.partition).max { $0.value.count < $1.value.count }!.key
        let dropped = 5
        _ = try admin.createTopic("audit.frames", partitions: 3)
        for p in Int32(0)..<3 {
            var kept = records.filter { $0.partition == p }
            if p == busiest { kept.removeLast(dropped) }
            try KafkaTestIO.produce(kept.map(\.value), keys: kept.map { $0.key ?? [] }, to: "audit.frames", partition: p,
                                    bootstrapServers: fixture.broker.bootstrapServers)
        }
        let original = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
        func config(_ name: String, _ extra: String) throws -> String {
            let path = fixture.directory.appendingPathComponent(name).path
            try original.replacingOccurrences(of: "  frames_partitions: 3", with: "  frames_partitions: 3\n  frames_topic: audit.frames\n" + extra)
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let truncated = try TallyProcess.run(["verify", "--config", try config("audit.yaml", "")] + range)
        #expect(truncated.status == 1, "\(truncated.output)")
        let lines = truncated.output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("TAIL LOST:") && $0.contains("frames partition \(busiest)")
            && $0.contains("the last \(dropped) frame(s) are missing") }, "\(truncated.output)")
        #expect(lines.filter { $0.hasPrefix("MISSING: frame ") }.count >= 1, "windows left without a frame: \(truncated.output)")

        // Without checkpoints, the operator's anchor alone names the partition.
        let noCheckpoints = try config("audit-anchor.yaml", "  checkpoints_topic: no.such.checkpoints\n")
        let anchored = try TallyProcess.run(["verify", "--config", noCheckpoints] + range + heads.flatMap { ["--expected-head", $0] })
        #expect(anchored.status == 1, "\(anchored.output)")
        #expect(anchored.output.contains("TAIL LOST: frame - revision 0 (frames partition \(busiest))"), "\(anchored.output)")
    }
}
