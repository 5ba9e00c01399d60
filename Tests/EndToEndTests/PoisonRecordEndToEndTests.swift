import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime

/// Malformed records of ~800 kB between good ones (their base64 dead letter would be
/// above the broker's 1 MiB limit): each is dead-lettered with a truncated payload, its
/// size, coordinates and SHA-256; the good ones are rated; the rater stays up, also
/// across a restart.
@Suite(.serialized) struct PoisonRecordEndToEndTests {
    @Test func anOversizedMalformedRecordIsDeadLetteredTruncatedAndTheRaterKeepsRunning() throws {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 6) * 3_600_000_000)
        let simulator = UsageSimulator(seed: 21, start: start, hours: 3, projects: 1, instancesPerProject: 2, volumesPerProject: 1)
        let samples = simulator.samples()
        var records = CeilometerEncoder.records(samples, perRecord: 5)

        // A notification whose metadata carries 800 kB, cut short; and 780 kB of nesting.
        var big = samples[0]
        big.id = "oversized"
        big.metadata = [("blob", "\"" + String(repeating: "x", count: 800_000) + "\"")]
        let cut = Array(CeilometerEncoder.record([big][...], messageID: "m-oversized").dropLast(40))
        let nested = Array(repeating: UInt8(ascii: "["), count: 780_000)
        // The same depth inside the envelope's escaped inner message (a second parse).
        let inner = Array(#"{"oslo.version": "2.0", "oslo.message": "{\"payload\": "#.utf8)
            + Array(repeating: UInt8(ascii: "["), count: 760_000) + Array(#""}"#.utf8)
        let poison = [cut, nested, inner]
        #expect(poison.allSatisfy { Base64.encode($0).utf8.count > 1_000_000 })
        records.insert(cut, at: records.count / 3)
        records.insert(nested, at: 2 * records.count / 3)
        records.insert(inner, at: records.count - 2)
        try fixture.produce(records)

        let first = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"], timeout: 180)
        #expect(first.status == 0, "\(first.output.suffix(2000))")
        let problems = EndToEndFixture.compare(try fixture.frames(), with: ExpectedWindows(samples))
        #expect(problems.isEmpty, "\(problems.prefix(10))")

        let letters = try fixture.deadLetters()
        #expect(letters.count == poison.count)
        let input = try TopicIO.readAll(topic: "metering.sample", bootstrapServers: fixture.broker.bootstrapServers)
        for letter in letters {
            #expect(letter["reason"] as? String == "malformed-json")
            let text = try JSONSerialization.data(withJSONObject: letter)
            #expect(text.count < 300_000, "dead letter of \(text.count) bytes")
            let source = letter["source"] as? [String: Any] ?? [:]
            let original = input.first {
                $0.partition == Int32(source["partition"] as? Int ?? -1) && $0.offset == Int64(source["offset"] as? Int ?? -1)
            }
            #expect(original != nil, "\(source)")
            guard let original else { continue }
            #expect(poison.contains(original.value))
            #expect(letter["value_truncated"] as? Bool == true)
            #expect(letter["value_size"] as? Int == original.value.count)
            #expect(letter["value_sha256"] as? String == SHA256.hex(original.value))
            // The kept prefix is the original's own first bytes.
            let kept = Data(base64Encoded: letter["value_base64"] as? String ?? "").map { [UInt8]($0) } ?? []
            #expect(!kept.isEmpty && original.value.starts(with: kept))
        }

        var counters = TallyProcess.counters(in: first.output)
        #expect(counters["records_in"] == UInt64(records.count))
        #expect(counters["records_dead_lettered"] == UInt64(poison.count))
        #expect(counters["records_in"] == (counters["records_folded"] ?? 0) + (counters["records_duplicate"] ?? 0)
                + (counters["records_dead_lettered"] ?? 0))
        #expect(counters["samples_folded"] == UInt64(samples.count))
        #expect(counters["pending_messages"] == 0)

        // A restart neither stops on them nor dead-letters them again.
        let second = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"], timeout: 180)
        #expect(second.status == 0, "\(second.output.suffix(2000))")
        counters = TallyProcess.counters(in: second.output)
        #expect(counters["records_in"] == UInt64(records.count))
        #expect(try fixture.deadLetters().count == poison.count)
    }
}
