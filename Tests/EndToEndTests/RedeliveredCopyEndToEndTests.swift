import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime

/// Issue 8 item 5 with a real broker: the live rater folds the re-delivered copy of a
/// sample (under a new id, on partition 1) before the original (partition 0), while a
/// replay reads partition 0 first and folds the original. `tally verify` still
/// reproduces the frame: its digest is over content, not over which copy was folded.
@Suite(.serialized) struct RedeliveredCopyEndToEndTests {
    static let hour: Int64 = 3_600_000_000

    static func record(resource: String, volume: Int, at time: EventTime, sampleID: String, messageID: String) -> [UInt8] {
        let sample = "{\"source\": \"openstack\", \"counter_name\": \"vcpus\", \"counter_type\": \"gauge\", "
            + "\"counter_unit\": \"vcpu\", \"counter_volume\": \(volume), \"user_id\": \"u1\", \"project_id\": \"p1\", "
            + "\"resource_id\": \"\(resource)\", \"timestamp\": \"\(Timestamps.iso8601(time))\", \"resource_metadata\": {}, "
            + "\"message_id\": \"\(sampleID)\", \"message_signature\": \"\"}"
        return CeilometerEncoder.record(sampleJSON: [sample], messageID: messageID, timestamp: time)
    }

    @Test func verifyReproducesAFrameWhoseCopyTheLiveRaterFoldedFirst() throws {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / Self.hour - 6) * Self.hour)
        let at = start + TimeSpan(micros: 600_000_000)
        let original = Self.record(resource: "vm-1", volume: 4, at: at, sampleID: "00000000-0000-4000-8000-000000000001",
                                   messageID: "10000000-0000-4000-8000-000000000001")
        let copy = Self.record(resource: "vm-1", volume: 4, at: at, sampleID: "00000000-0000-4000-8000-0000000000c1",
                               messageID: "10000000-0000-4000-8000-0000000000c1")
        let elsewhere = Self.record(resource: "vm-2", volume: 2, at: at, sampleID: "00000000-0000-4000-8000-000000000002",
                                    messageID: "10000000-0000-4000-8000-000000000002")
        // (value i goes to partition i mod 3): the copy on partition 1 is rated first ...
        try fixture.produce([elsewhere, copy])
        let first = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(first.status == 0, "\(first.output)")
        // ... and the original, on partition 0, arrives afterwards: a duplicate.
        try fixture.produce([original])
        let second = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(second.status == 0, "\(second.output)")
        #expect(TallyProcess.counters(in: second.output)["samples_duplicate"] == 1, "\(second.output)")

        let frames = try fixture.frames().latest.values.filter { $0.resource == "vm-1" }
        #expect(frames.count == 1 && frames.first?.quantity == ExactDecimal(4) && frames.first?.revision == 1)
        let verify = try TallyProcess.run(["verify", "--config", fixture.configPath, "--from", Timestamps.iso8601(start),
                                           "--to", Timestamps.iso8601(start + TimeSpan.hours(1))])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("2 of 2 frame(s) reproduced"), "\(verify.output)")
    }
}
