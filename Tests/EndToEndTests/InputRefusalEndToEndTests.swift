import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyCrypto
import TallyRuntime
import TallyWire

/// Issue 14 items 1, 3, 4, 6 and issue 9 item 8 against a real broker and a real
/// `tally run`: each bad record sits between good ones; it is dead-lettered with its
/// reason, the good ones are rated exactly, the counters add up, the rater stays up.
@Suite(.serialized) struct InputRefusalEndToEndTests {
    static let secret = "e2e-telemetry-secret"

    /// Simulated usage, signed with the secret, in records of ten.
    static func usage(seed: UInt64) -> [UsageSimulator.Sample] {
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 8) * 3_600_000_000)
        return UsageSimulator(seed: seed, start: start, hours: 4, projects: 2, instancesPerProject: 2, volumesPerProject: 1).samples()
    }

    /// Instance samples one second after a real one: folded, they change no maximum.
    static func neighbours(of sample: UsageSimulator.Sample, _ n: Int, tag: String) -> [UsageSimulator.Sample] {
        (0..<n).map { i in
            var s = sample
            s.id = "\(tag)-\(i)"
            s.timestamp = sample.timestamp + TimeSpan(micros: Int64(i + 1) * 1_000_000)
            return s
        }
    }

    static func replace(_ needle: String, with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        let n = Array(needle.utf8)
        let at = bytes.indices.first { bytes[$0...].starts(with: n) }!
        return Array(bytes[..<at]) + replacement + Array(bytes[(at + n.count)...])
    }

    @Test func forgedUnsignedRepeatedKeyNonUTF8AndNonSampleRecordsAreDeadLettered() throws {
        let secretFile = FileManager.default.temporaryDirectory.appendingPathComponent("tally-secret-\(UUID().uuidString)")
        try (Self.secret + "\n").write(to: secretFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: secretFile) }
        let fixture = try EndToEndFixture(inputPolicies: "signature_secret: {file: \(secretFile.path)}")
        let signer = CeilometerSigner(authenticator: try HMACSHA256(key: Array(Self.secret.utf8)))
        let samples = Self.usage(seed: 5)
        var records = CeilometerEncoder.records(samples, perRecord: 10, signer: signer)
        let instance = samples.first { $0.metric == "instance" }!

        // 1. A forged sample (signed, then its volume raised) beside two signed neighbours.
        var forged = Self.neighbours(of: instance, 3, tag: "forged")
        var forgedJSON = forged.map { CeilometerEncoder.sampleJSON($0, signer: signer) }
        forgedJSON[1] = forgedJSON[1].replacingOccurrences(of: "\"counter_volume\": 1,", with: "\"counter_volume\": 40,")
        forged[1].volume = "40"
        // 2. An unsigned sample (what anyone with write access to the topic can send).
        var unsigned = instance; unsigned.id = "unsigned"; unsigned.volume = "30"
        // 3. A repeated key: one reader sees volume 1, another 1000.
        let repeated = CeilometerEncoder.sampleJSON(Self.neighbours(of: instance, 1, tag: "repeated")[0], signer: signer)
            .replacingOccurrences(of: "\"counter_volume\": 1,", with: "\"counter_volume\": 1, \"counter_volume\": 1000,")
        // 4. Invalid UTF-8 (an overlong '/') in a resource id.
        var foreign = Self.neighbours(of: instance, 1, tag: "utf8")[0]; foreign.resource = "vm-NOTUTF8"
        let nonUTF8 = Self.replace("NOTUTF8", with: [0x61, 0xC0, 0xAF, 0x62],
                                   in: CeilometerEncoder.record([foreign][...], messageID: "m-utf8", signer: signer))
        // 5. A notification at priority INFO, signed samples and all.
        var info = instance; info.id = "info"; info.volume = "20"

        let bad: [(bytes: [UInt8], reason: String, detail: String)] = [
            (CeilometerEncoder.record(sampleJSON: forgedJSON, messageID: "m-forged", timestamp: instance.timestamp),
             "bad-signature", "payload[1].message_signature does not match"),
            (CeilometerEncoder.record([unsigned][...], messageID: "m-unsigned"), "bad-signature", "does not match"),
            (CeilometerEncoder.record(sampleJSON: [repeated], messageID: "m-repeated"), "malformed-json",
             "duplicate key 'counter_volume'"),
            (nonUTF8, "malformed-json", "invalid UTF-8: overlong encoding (lead byte 0xc0) at byte"),
            (CeilometerEncoder.record(sampleJSON: [CeilometerEncoder.sampleJSON(info, signer: signer)], messageID: "m-info",
                                      priority: "INFO"), "unexpected-priority", "priority is 'INFO', not SAMPLE"),
        ]
        for (i, b) in bad.enumerated() { records.insert(b.bytes, at: (i + 1) * 5) }
        try fixture.produce(records)

        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(run.status == 0, "tally run failed: \(run.output)")
        #expect(!run.output.contains(Self.secret), "the secret was printed")

        // Good samples, and the forged record's two good neighbours (which change no maximum), rated exactly.
        let ledger = try fixture.frames()
        let problems = EndToEndFixture.compare(ledger, with: ExpectedWindows(samples))
        #expect(problems.isEmpty, "\(problems.count) problems: \(problems.prefix(10))")

        let letters = try fixture.deadLetters()
        #expect(letters.compactMap { $0["reason"] as? String }.sorted() == bad.map(\.reason).sorted())
        for b in bad {
            let detail = letters.filter { $0["reason"] as? String == b.reason }.compactMap { $0["detail"] as? String }
            #expect(detail.contains { $0.contains(b.detail) }, "\(b.reason): \(detail)")
        }
        #expect(!letters.contains { ($0["detail"] as? String ?? "").contains(Self.secret) })

        let counters = TallyProcess.counters(in: run.output)
        #expect(counters["records_in"] == UInt64(records.count))
        #expect(counters["records_dead_lettered"] == UInt64(bad.count))
        #expect(counters["records_in"] == (counters["records_folded"] ?? 0) + (counters["records_duplicate"] ?? 0)
                + (counters["records_dead_lettered"] ?? 0) + (counters["records_unknown_meter"] ?? 0))
        #expect(counters["samples_in"] == (counters["samples_folded"] ?? 0) + (counters["samples_duplicate"] ?? 0)
                + (counters["samples_dead_lettered"] ?? 0) + (counters["samples_unknown_meter"] ?? 0))
        #expect(counters["samples_folded"] == UInt64(samples.count + 2))
        // One forged + one unsigned sample; the three record-level refusals count their record.
        #expect(counters["dead_letters{reason=\"bad-signature\"}"] == 2)
        #expect(counters["dead_letters{reason=\"malformed-json\"}"] == 2)
        #expect(counters["dead_letters{reason=\"unexpected-priority\"}"] == 1)
        #expect(counters["open_windows"] == 0)
        #expect(counters["pending_messages"] == 0)
    }

    @Test func unknownMetersAreCountedNotDeadLettered() throws {
        let fixture = try EndToEndFixture(inputPolicies: "unknown_meters: count")
        let samples = Self.usage(seed: 6)
        var records = CeilometerEncoder.records(samples, perRecord: 10)
        let instance = samples.first { $0.metric == "instance" }!
        var disk = Self.neighbours(of: instance, 3, tag: "disk")
        for i in disk.indices { disk[i].metric = "disk.root.size"; disk[i].unit = "GB"; disk[i].volume = "80" }
        var mixed = Self.neighbours(of: instance, 2, tag: "mixed")
        mixed[1].metric = "compute.instance.booting.time"; mixed[1].volume = "3.5"
        var negative = Self.neighbours(of: instance, 1, tag: "negative")[0]; negative.volume = "-1"
        records.insert(CeilometerEncoder.record(disk[...], messageID: "m-disk"), at: 4)     // only unknown meters
        records.insert(CeilometerEncoder.record(mixed[...], messageID: "m-mixed"), at: 9)   // one known, one unknown
        records.insert(CeilometerEncoder.record([negative][...], messageID: "m-neg"), at: 13)  // still dead-lettered
        try fixture.produce(records)

        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(run.status == 0, "tally run failed: \(run.output)")
        let problems = EndToEndFixture.compare(try fixture.frames(), with: ExpectedWindows(samples))
        #expect(problems.isEmpty, "\(problems.count) problems: \(problems.prefix(10))")
        let letters = try fixture.deadLetters()
        #expect(letters.compactMap { $0["reason"] as? String } == ["negative-volume"])

        let counters = TallyProcess.counters(in: run.output)
        #expect(counters["samples_unknown_meter"] == 4)
        #expect(counters["unknown_meters{metric=\"disk.root.size\"}"] == 3)
        #expect(counters["unknown_meters{metric=\"compute.instance.booting.time\"}"] == 1)
        #expect(counters["records_unknown_meter"] == 1)  // the all-disk record; the mixed one is folded
        #expect(counters["records_in"] == UInt64(records.count))
        #expect(counters["records_in"] == (counters["records_folded"] ?? 0) + (counters["records_duplicate"] ?? 0)
                + (counters["records_dead_lettered"] ?? 0) + (counters["records_unknown_meter"] ?? 0))
        #expect(counters["samples_in"] == (counters["samples_folded"] ?? 0) + (counters["samples_duplicate"] ?? 0)
                + (counters["samples_dead_lettered"] ?? 0) + (counters["samples_unknown_meter"] ?? 0))
        #expect(counters["samples_folded"] == UInt64(samples.count + 1))
        #expect(counters["dead_letters{reason=\"unknown-metric\"}"] == nil)
    }
}
