import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime

/// Issue 14 item 2 with the real parts: a sample re-sent under the same id with another
/// volume, between good records, is dead-lettered as `conflicting-duplicate` naming the
/// first copy; the good records are rated exactly, the counters add up, verify passes;
/// `tally rate` decides the same with file:line.
@Suite(.serialized) struct ConflictingDuplicateEndToEndTests {
    static let hour: Int64 = 3_600_000_000
    static let id = "00000000-0000-4000-8000-0000000000aa"

    static func record(resource: String, volume: Int, minutes: Int64, from start: EventTime, sampleID: String, messageID: String) -> [UInt8] {
        let time = start + TimeSpan(micros: minutes * 60_000_000)
        let sample = "{\"source\": \"openstack\", \"counter_name\": \"vcpus\", \"counter_type\": \"gauge\", "
            + "\"counter_unit\": \"vcpu\", \"counter_volume\": \(volume), \"user_id\": \"u1\", \"project_id\": \"p1\", "
            + "\"resource_id\": \"\(resource)\", \"timestamp\": \"\(Timestamps.iso8601(time))\", \"resource_metadata\": {}, "
            + "\"message_id\": \"\(sampleID)\", \"message_signature\": \"\"}"
        return CeilometerEncoder.record(sampleJSON: [sample], messageID: messageID, timestamp: time)
    }

    @Test func theBrokerDeadLettersTheConflictingCopyAndRatesTheRest() throws {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / Self.hour - 6) * Self.hour)
        func good(_ n: Int, _ resource: String, _ volume: Int) -> [UInt8] {
            Self.record(resource: resource, volume: volume, minutes: Int64(n), from: start,
                        sampleID: "00000000-0000-4000-8000-00000000000\(n)", messageID: "10000000-0000-4000-8000-00000000000\(n)")
        }
        let first = Self.record(resource: "vm-1", volume: 2, minutes: 30, from: start, sampleID: Self.id,
                                messageID: "10000000-0000-4000-8000-0000000000a1")
        let conflicting = Self.record(resource: "vm-1", volume: 64, minutes: 30, from: start, sampleID: Self.id,
                                      messageID: "10000000-0000-4000-8000-0000000000a2")
        // Value i goes to partition i mod 3: both copies (1 and 4) on partition 1, offsets 0 and 1.
        try fixture.produce([good(1, "vm-1", 1), first, good(2, "vm-2", 4), good(3, "vm-2", 3), conflicting, good(5, "vm-3", 5)])
        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(run.status == 0, "\(run.output)")

        let letters = try fixture.deadLetters()
        try #require(letters.count == 1, "\(letters)")
        #expect(letters[0]["reason"] as? String == "conflicting-duplicate")
        let detail = letters[0]["detail"] as? String ?? ""
        #expect(detail.contains(Self.id) && detail.contains("topic metering.sample partition 1 offset 0"), "\(detail)")
        #expect((letters[0]["source"] as? [String: Any])?["offset"] as? Int == 1)
        #expect((letters[0]["source"] as? [String: Any])?["partition"] as? Int == 1)

        var quantities: [String: String] = [:]
        for entry in try fixture.frames().latest.values where entry.metric == "vcpus" { quantities[entry.resource] = entry.quantity.canonicalText }
        #expect(quantities == ["vm-1": "2", "vm-2": "4", "vm-3": "5"])  // max over the hour; vm-1 not 64
        let c = TallyProcess.counters(in: run.output)
        #expect(c["records_in"] == 6 && c["records_folded"] == 5 && c["records_dead_lettered"] == 1, "\(run.output)")
        #expect(c["samples_dead_lettered"] == 1 && c["samples_folded"] == 5, "\(run.output)")

        let verify = try TallyProcess.run(["verify", "--config", fixture.configPath, "--from", Timestamps.iso8601(start),
                                           "--to", Timestamps.iso8601(start + TimeSpan.hours(1))])
        #expect(verify.status == 0, "\(verify.output)")
    }

    /// The copies on different partitions, the later partition's read first by the live
    /// rater: a replay reading partition 0 first would keep the other copy, but it takes
    /// the rater's decision from the dead letter, so verify reproduces what was billed.
    @Test func verifyTakesTheRatersDecisionWhenTheCopiesSitOnDifferentPartitions() throws {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / Self.hour - 6) * Self.hour)
        let filler = Self.record(resource: "vm-2", volume: 1, minutes: 5, from: start,
                                 sampleID: "00000000-0000-4000-8000-000000000001", messageID: "10000000-0000-4000-8000-000000000001")
        let billed = Self.record(resource: "vm-1", volume: 64, minutes: 30, from: start, sampleID: Self.id,
                                 messageID: "10000000-0000-4000-8000-0000000000b1")
        let refused = Self.record(resource: "vm-1", volume: 2, minutes: 30, from: start, sampleID: Self.id,
                                  messageID: "10000000-0000-4000-8000-0000000000b2")
        try fixture.produce([filler, billed])            // partitions 0 and 1
        let first = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(first.status == 0, "\(first.output)")
        try fixture.produce([refused])                   // partition 0, offset 1: read after its twin
        let second = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(second.status == 0, "\(second.output)")
        let letters = try fixture.deadLetters()
        #expect(letters.count == 1 && (letters.first?["detail"] as? String ?? "").contains("topic metering.sample partition 1 offset 0"),
                "\(letters)")
        #expect(try fixture.frames().latest.values.first { $0.resource == "vm-1" }?.quantity == ExactDecimal(64))

        let verify = try TallyProcess.run(["verify", "--config", fixture.configPath, "--from", Timestamps.iso8601(start),
                                           "--to", Timestamps.iso8601(start + TimeSpan.hours(1))])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("2 of 2 frame(s) reproduced"), "\(verify.output)")
    }

    @Test func rateNamesBothCopiesByFileAndLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tally-conflict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let metrics = dir.appendingPathComponent("metrics.yaml").path
        try "metrics:\n  vcpus: {unit: vcpu, aggregation: sum, period: PT1H}\n".write(toFile: metrics, atomically: true, encoding: .utf8)
        func line(_ id: String, _ volume: Int) -> String {
            #"{"id":"\#(id)","metric":"vcpus","type":"gauge","unit":"vcpu","volume":\#(volume),"timestamp":"2026-11-02T00:10:00Z","project_id":"p1","user_id":"u1","resource_id":"vm-1","metadata":{}}"#
        }
        let a = dir.appendingPathComponent("a.jsonl").path, b = dir.appendingPathComponent("b.jsonl").path
        try [line("s-1", 1), line(Self.id, 2)].joined(separator: "\n").write(toFile: a, atomically: true, encoding: .utf8)
        try [line("s-3", 4), line(Self.id, 2), line(Self.id, 7)].joined(separator: "\n").write(toFile: b, atomically: true, encoding: .utf8)
        let run = try TallyProcess.run(["rate", "--metrics", metrics, a, b])
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("b.jsonl:3: conflicting-duplicate: "), "\(run.output)")
        #expect(run.output.contains("first read with other content at \(a):2"), "\(run.output)")
        #expect(!run.output.contains("b.jsonl:2:"), "a true re-delivery is not refused: \(run.output)")
        #expect(run.output.contains(" 7 "), "1 + 2 + 4 rated: \(run.output)")
    }
}
