import Foundation
import Testing
import TallyCore

/// Issues 15, 14 (item 5) and 9 (item 10) as a user meets them with `tally rate`:
/// each file is one batch, as the rater's batches are.
@Suite struct CounterRateTests {
    static func rate(_ files: [String]) throws -> (status: Int32, output: String, latest: [String: (revision: Int, quantity: String)]) {
        let run = try TallyProcess.run(["rate", "--metrics", RateCommandTests.path("metrics.yaml"), "--rules",
                                        RateCommandTests.path("rules.yaml"), "--format", "json"] + files.map(RateCommandTests.path))
        var latest: [String: (revision: Int, quantity: String)] = [:]
        for f in RateCommandTests.frames(run.output) {
            let key = "\(f["metric"] as? String ?? "") \((f["window"] as? [String: Any])?["start"] as? String ?? "")"
            let revision = f["revision"] as? Int ?? 0
            if (latest[key]?.revision ?? 0) < revision { latest[key] = (revision, f["quantity"] as? String ?? "") }
        }
        return (run.status, run.output, latest)
    }

    @Test func aLateLastPointInTheSecondFileRecomputesTheNextHourUnderAFreeTier() throws {
        // egress is free up to 10 GiB a month: the late sample changes quantities, not prices.
        let r = try Self.rate(["counter-first.jsonl", "counter-late.jsonl"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.latest["network.outgoing.bytes 2026-11-02T00:00:00Z"].map { "\($0.quantity) r\($0.revision)" } == "3 r2")
        // 3 GiB → 4 GiB, no longer 1 GiB → 4 GiB.
        #expect(r.latest["network.outgoing.bytes 2026-11-02T01:00:00Z"].map { "\($0.quantity) r\($0.revision)" } == "1 r2")
        #expect(r.latest["network.outgoing.bytes 2026-11-02T02:00:00Z"].map { "\($0.quantity) r\($0.revision)" } == "1 r1")
    }

    @Test func a1970SampleAndAnEmptyProjectAreRefusedWithFileAndLine() throws {
        let r = try Self.rate(["unbillable.jsonl"])
        #expect(r.status == 2)
        #expect(r.output.contains("unbillable.jsonl:1: too-late: "))
        #expect(r.output.contains("the event clock is not set yet"))
        #expect(r.output.contains("unbillable.jsonl:3: no-scope: "))
        #expect(r.output.contains("unbillable.jsonl:4: no-scope: "))
        #expect(r.output.contains("unbillable.jsonl:3: no-scope: sample vm-1@2026-11-02T00:06:00Z: project_id is empty, and metric 'instance' is rated per project_id"))
        #expect(r.output.contains("unbillable.jsonl:4: no-scope: sample vm-1@2026-11-02T00:07:00Z: project_id is blank (only white space)"))
        #expect(r.latest.keys.sorted() == ["instance 2026-11-02T00:00:00Z"])
        #expect(r.latest["instance 2026-11-02T00:00:00Z"]?.quantity == "1")
        #expect(!r.output.contains("\"1970-"))
    }

    @Test func earliestEventTimeRefusesALone1970SampleThatHasNoNeighbour() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tally-earliest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let metrics = try String(contentsOfFile: RateCommandTests.path("metrics.yaml"), encoding: .utf8)
        try metrics.replacingOccurrences(of: "time_zone: UTC\n", with: "time_zone: UTC\nearliest_event_time: 2024-01-01T00:00:00Z\n")
            .write(to: dir.appendingPathComponent("metrics.yaml"), atomically: true, encoding: .utf8)
        // Only the 1970 line: without a later sample beside it, only the configured floor can refuse it.
        let lines = try String(contentsOfFile: RateCommandTests.path("unbillable.jsonl"), encoding: .utf8).split(separator: "\n")
        try (lines[0] + "\n").write(to: dir.appendingPathComponent("lone.jsonl"), atomically: true, encoding: .utf8)
        let floored = try TallyProcess.run(["rate", "--metrics", dir.appendingPathComponent("metrics.yaml").path,
                                            dir.appendingPathComponent("lone.jsonl").path])
        #expect(floored.status == 2, "\(floored.output)")
        #expect(floored.output.contains("lone.jsonl:1: too-late: "))
        #expect(floored.output.contains("is before earliest_event_time 2024-01-01T00:00:00Z"))
        #expect(!floored.output.contains("1970-01-01T00:00:00Z  instance"))
        // Without the floor the lone sample has nothing to be measured against (docs/METRICS.md).
        let unfloored = try TallyProcess.run(["rate", "--metrics", RateCommandTests.path("metrics.yaml"),
                                              dir.appendingPathComponent("lone.jsonl").path])
        #expect(unfloored.status == 0)

        try metrics.replacingOccurrences(of: "time_zone: UTC\n", with: "time_zone: UTC\nearliest_event_time: last tuesday\n")
            .write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let bad = try TallyProcess.run(["rate", "--metrics", dir.appendingPathComponent("bad.yaml").path,
                                        dir.appendingPathComponent("lone.jsonl").path])
        #expect(bad.status != 0)
        #expect(bad.output.contains("earliest_event_time"))
        #expect(bad.output.contains("'last tuesday' is not an ISO 8601 instant"))
    }

    @Test func anOutageOfSeveralHoursBillsTheRiseInTheHourAfterIt() throws {
        // 1 → 2 GiB in hour 0; silence until 05:20 (6 GiB), 05:40 (7 GiB); a restart seen at 09:30 (1 GiB).
        let r = try Self.rate(["counter-outage.jsonl"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.latest.mapValues(\.quantity) == [
            "network.outgoing.bytes 2026-11-02T00:00:00Z": "1",
            "network.outgoing.bytes 2026-11-02T05:00:00Z": "5",
            "network.outgoing.bytes 2026-11-02T09:00:00Z": "1",
        ])
    }
}

/// `tally rate --format table` lists every revision but totals each window once, at its
/// latest revision (a revision replaces its window's price; it used to be added again).
@Suite struct RateTableTotalTests {
    @Test func theTableTotalCountsARevisedWindowOnceAtItsLatestPrice() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tally-rate-total-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func volume(_ id: String, _ gib: Int, _ at: String, _ resource: String) -> String {
            #"{"id":"\#(id)","metric":"volume.size","type":"gauge","unit":"GiB","volume":\#(gib),"timestamp":"2026-11-02T\#(at)Z","project_id":"aurora","user_id":"alice","resource_id":"\#(resource)","metadata":{"volume_type":"SSD_gold"}}"#
        }
        // The first file closes vol-1's 00:00 hour (vol-2's 02:30 sample moves the clock past it);
        // the second brings a late sample for that hour, so it is revised with a new price.
        try [volume("t-1", 50, "00:10:00", "vol-1"), volume("t-2", 20, "02:30:00", "vol-2")].joined(separator: "\n")
            .write(to: dir.appendingPathComponent("first.jsonl"), atomically: true, encoding: .utf8)
        try volume("t-3", 150, "00:40:00", "vol-1")
            .write(to: dir.appendingPathComponent("late.jsonl"), atomically: true, encoding: .utf8)
        let args = ["rate", "--metrics", RateCommandTests.path("metrics.yaml"), "--rules", RateCommandTests.path("rules.yaml"),
                    dir.appendingPathComponent("first.jsonl").path, dir.appendingPathComponent("late.jsonl").path]
        let json = try TallyProcess.run(args + ["--format", "json"])
        #expect(json.status == 0, "\(json.output)")
        var latest: [String: (revision: Int, price: ExactDecimal)] = [:]
        var everyRevision = ExactDecimal.zero
        for f in RateCommandTests.frames(json.output) {
            let id = f["frame_id"] as? String ?? "", revision = f["revision"] as? Int ?? 0
            let price = ExactDecimal(f["price"] as? String ?? "") ?? .zero
            everyRevision = everyRevision + price
            if (latest[id]?.revision ?? 0) < revision { latest[id] = (revision, price) }
        }
        #expect(latest.values.contains { $0.revision == 2 }, "the late sample should revise vol-1's 00:00 hour: \(json.output)")
        let expected = latest.values.reduce(ExactDecimal.zero) { $0 + $1.price }
        #expect(expected != everyRevision)
        let table = try TallyProcess.run(args + ["--format", "table"])
        #expect(table.status == 0, "\(table.output)")
        let totalLine = table.output.split(separator: "\n").first { $0.hasPrefix("total") }.map(String.init) ?? ""
        #expect(totalLine.split(separator: " ").dropFirst().first.map(String.init) == expected.canonicalText, "\(table.output)")
    }
}
