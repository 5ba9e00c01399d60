import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime

/// `tally report` and `tally trace` against a real broker after `tally run`: report
/// totals checked against sums computed here from the raw frames topic (Foundation
/// Decimal, latest revision by hand), and a trace checked against the simulated samples.
@Suite(.serialized) struct ReportTraceTests {
    /// The latest revision of every frame, parsed here without FrameLedger.
    static func latestFrames(_ fixture: EndToEndFixture) throws -> [[String: Any]] {
        var latest: [String: [String: Any]] = [:]
        for record in try TopicIO.readAll(topic: "tally.frames", bootstrapServers: fixture.broker.bootstrapServers) {
            let f = try #require(try JSONSerialization.jsonObject(with: Data(record.value)) as? [String: Any])
            let id = f["frame_id"] as! String
            if (latest[id]?["revision"] as? Int ?? 0) < f["revision"] as! Int { latest[id] = f }
        }
        return Array(latest.values)
    }

    static func decimal(_ any: Any?) -> Decimal { Decimal(string: any as? String ?? "x") ?? .nan }
    static func scope(_ f: [String: Any]) -> String { (f["scope"] as! [String: Any])["id"] as! String }

    /// Runs `tally args…`; standard output apart from standard error.
    static func tally(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let dir = FileManager.default.temporaryDirectory
        let outURL = dir.appendingPathComponent("tally-out-\(UUID().uuidString)"), errURL = dir.appendingPathComponent("tally-err-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: outURL); try? FileManager.default.removeItem(at: errURL) }
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = TallyProcess.executable
        process.arguments = args
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: outURL, encoding: .utf8), try String(contentsOf: errURL, encoding: .utf8))
    }

    @Test func reportTotalsMatchTheFramesAndTraceFindsExactlyTheSamplesAndRules() throws {
        let fixture = try EndToEndFixture()
        let hour: Int64 = 3_600_000_000
        let start = EventTime(micros: (WallClock.now().micros / hour - 6) * hour)
        let samples = UsageSimulator(seed: 23, start: start, hours: 3, projects: 2, instancesPerProject: 1, volumesPerProject: 1).samples()
        var records = CeilometerEncoder.records(samples, perRecord: 7)
        records.append(records[3])  // a producer retry: the trace must show its samples once
        try fixture.produce(records)
        let run = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        try #require(run.status == 0, "tally run failed: \(run.output)")
        let frames = try Self.latestFrames(fixture)
        try #require(frames.count > 10)

        // Report over the middle hour only, by scope, as JSON.
        let from = start + TimeSpan.hours(1), to = start + TimeSpan.hours(2)
        let inPeriod = frames.filter { f in
            let s = (try? TimestampParserForTests.micros((f["window"] as! [String: Any])["start"] as! String)) ?? -1
            return s >= from.micros && s < to.micros
        }
        try #require(!inPeriod.isEmpty && inPeriod.count < frames.count)
        var expectedByScope: [String: (price: Decimal, frames: Int)] = [:]
        for f in inPeriod {
            let t = expectedByScope[Self.scope(f)] ?? (0, 0)
            expectedByScope[Self.scope(f)] = (t.price + Self.decimal(f["price"]), t.frames + 1)
        }
        let json = try Self.tally(["report", "--config", fixture.configPath, "--from", Timestamps.iso8601(from),
                                   "--to", Timestamps.iso8601(to), "--format", "json"])
        try #require(json.status == 0, "\(json.err)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let rows = report["rows"] as? [[String: Any]] ?? []
        #expect(rows.count == expectedByScope.count)
        for row in rows {
            let expected = expectedByScope[row["scope"] as? String ?? ""]
            #expect(expected != nil, "unexpected scope in \(row)")
            #expect(Self.decimal(row["price"]) == expected?.price, "\(row)")
            #expect(row["frames"] as? Int == expected?.frames, "\(row)")
            #expect(row["currency"] as? String == "EUR")
        }

        // CSV by metric over every window: one row per (scope, metric), quantities and prices summed.
        let csv = try Self.tally(["report", "--config", fixture.configPath, "--from", Timestamps.iso8601(start - TimeSpan.days(1)),
                                  "--to", Timestamps.iso8601(WallClock.now() + TimeSpan.days(1)), "--group-by", "metric", "--format", "csv"])
        try #require(csv.status == 0, "\(csv.err)")
        let lines = csv.out.split(separator: "\r\n").map(String.init)
        #expect(lines.first == "begin,end,tenant,metric,qty,unit,price,currency,frames")
        var expectedRows: [String: (qty: Decimal, price: Decimal, frames: Int, unit: String)] = [:]
        for f in frames {
            let key = Self.scope(f) + "," + (f["metric"] as! String)
            let t = expectedRows[key] ?? (0, 0, 0, f["unit"] as! String)
            expectedRows[key] = (t.qty + Self.decimal(f["quantity"]), t.price + Self.decimal(f["price"]), t.frames + 1, t.unit)
        }
        #expect(lines.count - 1 == expectedRows.count)
        for line in lines.dropFirst() {
            let c = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            try #require(c.count == 9, "\(line)")
            let expected = try #require(expectedRows[c[2] + "," + c[3]], "unexpected row \(line)")
            #expect(Decimal(string: c[4]) == expected.qty && c[5] == expected.unit, "\(line)")
            #expect(Decimal(string: c[6]) == expected.price && c[7] == "EUR" && Int(c[8]) == expected.frames, "\(line)")
        }

        // Trace a priced volume window: exactly its simulated samples, and the seeded rule.
        let volume = try #require(frames.first { $0["metric"] as? String == "volume.size" && Self.decimal($0["price"]) > 0 })
        let frameID = volume["frame_id"] as! String
        let window = volume["window"] as! [String: Any]
        let (ws, we) = (try TimestampParserForTests.micros(window["start"] as! String), try TimestampParserForTests.micros(window["end"] as! String))
        let expectedIDs = Set(samples.filter { $0.metric == "volume.size" && $0.resource == volume["resource_id"] as? String
                                               && $0.timestamp.micros >= ws && $0.timestamp.micros < we }.map { $0.id.lowercased() })
        let lineage = volume["lineage"] as! [String: Any]
        let traced = try Self.tally(["trace", frameID, "--config", fixture.configPath, "--json"])
        #expect(traced.status == 0, "\(traced.out) \(traced.err)")
        let trace = try #require(try JSONSerialization.jsonObject(with: Data(traced.out.utf8)) as? [String: Any])
        let tracedSamples = trace["samples"] as? [[String: Any]] ?? []
        #expect(tracedSamples.count == lineage["sample_count"] as? Int)
        #expect(Set(tracedSamples.compactMap { $0["sample_id"] as? String }) == expectedIDs)
        #expect(trace["sample_digest_recomputed"] as? String == lineage["sample_digest"] as? String)
        #expect(tracedSamples.allSatisfy { $0["topic"] as? String == "metering.sample" })
        let matched = (((volume["rating"] as! [[String: Any]]).first?["groups"] as? [[String: Any]])?.first?["mappings"] as? [String]) ?? []
        try #require(!matched.isEmpty)
        let rules = trace["rules"] as? [[String: Any]] ?? []
        #expect(rules.compactMap { $0["rule_id"] as? String } == matched)
        for rule in rules {
            let events = rule["events"] as? [[String: Any]] ?? []
            #expect(!events.isEmpty && events.allSatisfy { $0["author"] as? String == "tally-seed" }, "\(rule)")
        }
        #expect((trace["revisions"] as? [[String: Any]])?.last?["content_hash"] as? String == volume["content_hash"] as? String)

        // The readable trace names the same things.
        let text = try Self.tally(["trace", frameID, "--config", fixture.configPath])
        #expect(text.status == 0)
        #expect(text.out.contains("by tally-seed") && text.out.contains("digest matches") && text.out.contains(matched[0]))
        #expect(try Self.tally(["trace", String(repeating: "0", count: 32), "--config", fixture.configPath]).status != 0)
    }
}
