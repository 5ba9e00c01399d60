import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime

/// Issue 8 item 4 with the real parts: the same samples in another order (`tally rate`
/// with its files swapped) or on other partitions (a real broker, `tally run`) give the
/// same tier prices, and `tally verify` reproduces them.
@Suite(.serialized) struct TierOrderEndToEndTests {
    static let hour: Int64 = 3_600_000_000

    @Test func rateGivesTheSamePricesWhateverTheOrderOfItsFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tally-tier-order-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ name: String, _ text: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let metrics = try write("metrics.yaml", "metrics:\n  vcpus: {unit: vcpu, aggregation: max, period: PT1H, grace: PT5M, retention: P2D}\n")
        let rules = try write("rules.yaml", "version: 1\n" + EndToEndFixture.graduatedVcpuTiers)
        func sample(_ id: String, _ resource: String, _ volume: Int, _ time: String) -> String {
            #"{"id":"\#(id)","metric":"vcpus","type":"gauge","unit":"vcpu","volume":\#(volume),"timestamp":"\#(time)","project_id":"p1","user_id":"u1","resource_id":"\#(resource)","metadata":{}}"#
        }
        let b = try write("b.jsonl", sample("00000000-0000-4000-8000-00000000000b", "vm-b", 8, "2026-11-02T00:10:00Z") + "\n")
        let a = try write("a.jsonl", sample("00000000-0000-4000-8000-00000000000a", "vm-a", 8, "2026-11-02T00:20:00Z") + "\n")
        let first = try TallyProcess.run(["rate", "--metrics", metrics, "--rules", rules, b, a])
        let second = try TallyProcess.run(["rate", "--metrics", metrics, "--rules", rules, a, b])
        #expect(first.status == 0 && second.status == 0, "\(first.output)\n\(second.output)")
        #expect(first.output == second.output)
        // vm-a sorts first: it takes the first band (8 × 1), vm-b the rest (2 × 1 + 6 × 0.5).
        let lines = first.output.split(separator: "\n")
        #expect(lines.contains { $0.contains("vm-a") && $0.contains(" 8 EUR") }, "\(first.output)")
        #expect(lines.contains { $0.contains("vm-b") && $0.contains(" 5 EUR") }, "\(first.output)")
    }

    /// Rates vm-b's and vm-a's hour with vm-b's record on partition `bPartition` (0 or 1)
    /// and vm-a's on the other; returns the latest price per resource and verify's outcome.
    static func rateOnBroker(bPartition: Int) throws -> (prices: [String: String], verify: (Int32, String)) {
        let fixture = try EndToEndFixture()
        try (EndToEndFixture.rules + EndToEndFixture.graduatedVcpuTiers).write(toFile: fixture.directory.appendingPathComponent("rules.yaml").path,
                                                     atomically: true, encoding: .utf8)
        let start = EventTime(micros: (WallClock.now().micros / hour - 6) * hour)
        func record(_ resource: String, minutes: Int64, id: Int) -> [UInt8] {
            let time = start + TimeSpan(micros: minutes * 60_000_000)
            let sample = "{\"source\": \"openstack\", \"counter_name\": \"vcpus\", \"counter_type\": \"gauge\", "
                + "\"counter_unit\": \"vcpu\", \"counter_volume\": 8, \"user_id\": \"u1\", \"project_id\": \"p1\", "
                + "\"resource_id\": \"\(resource)\", \"timestamp\": \"\(Timestamps.iso8601(time))\", \"resource_metadata\": {}, "
                + "\"message_id\": \"00000000-0000-4000-8000-00000000000\(id)\", \"message_signature\": \"\"}"
            return CeilometerEncoder.record(sampleJSON: [sample], messageID: "10000000-0000-4000-8000-00000000000\(id)", timestamp: time)
        }
        let b = record("vm-b", minutes: 10, id: 1), a = record("vm-a", minutes: 20, id: 2)
        // (`produce` with partitions puts value i on partition i mod 3)
        try fixture.produce(bPartition == 0 ? [b, a] : [a, b])
        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(run.status == 0, "\(run.output)")
        var prices: [String: String] = [:]
        for entry in try fixture.frames().latest.values where entry.metric == "vcpus" { prices[entry.resource] = entry.price.canonicalText }
        let verify = try TallyProcess.run(["verify", "--config", fixture.configPath, "--from", Timestamps.iso8601(start),
                                           "--to", Timestamps.iso8601(start + TimeSpan.hours(2))])
        return (prices, (verify.status, verify.output))
    }

    @Test func theBrokerGivesTheSamePricesWhicheverPartitionsTheSamplesSitOn() throws {
        for bPartition in [0, 1] {
            let rated = try Self.rateOnBroker(bPartition: bPartition)
            #expect(rated.prices == ["vm-a": "8", "vm-b": "5"], "vm-b on partition \(bPartition)")
            #expect(rated.verify.0 == 0, "\(rated.verify.1)")
        }
    }
}
