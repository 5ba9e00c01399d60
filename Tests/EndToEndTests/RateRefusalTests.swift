import Foundation
import Testing

/// `tally rate` makes the rater's decisions (issue 14 items 1, 3, 4, 6; issue 9 items 8
/// and 9): each bad line is reported as file:line with the dead-letter reason, the
/// other lines are still rated, and the exit status is 2.
@Suite struct RateRefusalTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let ceilometerFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TallyWireTests/Fixtures/sample-notifications.jsonl")
    static let metrics = fixtures.appendingPathComponent("metrics.yaml").path

    static func temporary(_ bytes: [UInt8], _ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tally-rate-\(UUID().uuidString)-\(name)")
        try Data(bytes).write(to: url)
        return url
    }

    static func line(_ text: String) -> [UInt8] { Array(text.utf8) + [0x0A] }

    static let good = try! String(contentsOf: fixtures.appendingPathComponent("samples.jsonl"), encoding: .utf8)
        .split(separator: "\n").map(String.init)

    /// The rate command's JSON frames, keyed by metric and window start.
    static func frames(_ output: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let f = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            let start = (f["window"] as? [String: Any])?["start"] as? String ?? ""
            out["\(f["metric"] as? String ?? "") \(start)"] = f["quantity"] as? String
        }
        return out
    }

    @Test func repeatedKeysAndInvalidUTF8AreRefusedPerLine() throws {
        var bytes = Self.line(Self.good[0])  // line 1
        // Line 2: volume 1, then 1000 for whoever keeps the last value.
        bytes += Self.line(Self.good[1].replacingOccurrences(of: "\"volume\":1,", with: "\"volume\":1,\"volume\":1000,"))
        // Line 3: an overlong encoding in the resource id; line 4: an encoded surrogate in metadata.
        bytes += Array(#"{"id":"u-1","metric":"instance","type":"gauge","unit":"instance","volume":7,"timestamp":"2026-11-02T00:40:00Z","project_id":"aurora","resource_id":"vm-"#.utf8)
            + [0xC0, 0xAF] + Self.line(#"","metadata":{"flavor_name":"m1.small"}}"#)
        bytes += Array(#"{"id":"u-2","metric":"instance","type":"gauge","unit":"instance","volume":9,"timestamp":"2026-11-02T00:41:00Z","project_id":"aurora","resource_id":"vm-1","metadata":{"flavor_name":"m1."#.utf8)
            + [0xED, 0xA0, 0x80] + Self.line(#""}}"#)
        for line in Self.good.dropFirst(2) { bytes += Self.line(line) }  // lines 5…
        let file = try Self.temporary(bytes, "refusals.jsonl")
        defer { try? FileManager.default.removeItem(at: file) }

        let run = try TallyProcess.run(["rate", "--metrics", Self.metrics, "--format", "json", file.path])
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("\(file.path):2: malformed-json: record: duplicate key 'volume' in an object at byte"), "\(run.output)")
        #expect(run.output.contains("\(file.path):3: malformed-json: record: invalid UTF-8: overlong encoding"), "\(run.output)")
        #expect(run.output.contains("\(file.path):4: malformed-json: record: invalid UTF-8: an encoded UTF-16 surrogate at byte"))
        // Every other line is rated, exactly as without the bad ones.
        let clean = try Self.temporary(Self.good.flatMap { Self.line($0) }, "clean.jsonl")
        defer { try? FileManager.default.removeItem(at: clean) }
        let reference = try TallyProcess.run(["rate", "--metrics", Self.metrics, "--format", "json", clean.path])
        let expected = Self.frames(reference.output)
        #expect(!expected.isEmpty)
        // Line 2 was the second instance sample of hour 00 (volume 1): refusing it changes no maximum.
        #expect(Self.frames(run.output) == expected)
    }

    @Test func signaturesPrioritiesAndUnknownMetersAsTheRaterDecides() throws {
        let lines = try Data(contentsOf: Self.ceilometerFixture).split(separator: 0x0A).map { Array($0) }
        var input: [UInt8] = []
        for line in lines.prefix(40) { input += line + [0x0A] }
        // Line 41: a real record with one sample's volume changed after signing.
        var forged = lines[40]
        let marker = Array(#"\"counter_volume\": "#.utf8)
        let at = forged.indices.first { forged[$0...].starts(with: marker) }! + marker.count
        forged[at] = forged[at] == UInt8(ascii: "9") ? UInt8(ascii: "8") : UInt8(ascii: "9")
        input += forged + [0x0A]
        // Line 42: a real record re-sent at priority INFO.
        let info = Array(String(decoding: lines[41], as: UTF8.self)
            .replacingOccurrences(of: #"\"priority\": \"SAMPLE\""#, with: #"\"priority\": \"INFO\""#).utf8)
        #expect(info != lines[41])
        input += info + [0x0A]
        let file = try Self.temporary(input, "ceilometer.jsonl")
        let secret = try Self.temporary(Array("tally-fixture-secret\n".utf8), "secret")
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: secret)
        }

        let run = try TallyProcess.run(["rate", "--metrics", Self.metrics, "--signature-secret-file", secret.path,
                                        "--unknown-meters", "count", "--format", "json", file.path])
        #expect(run.status == 2, "\(run.output)")
        // (stdout and stderr share the log, so a problem may follow a frame on one line: count, don't split)
        #expect(run.output.components(separatedBy: "tally rate: \(file.path):").count - 1 == 2, "\(run.output)")
        #expect(run.output.contains("\(file.path):41: bad-signature: "), "\(run.output)")
        #expect(run.output.contains("\(file.path):42: unexpected-priority: priority is 'INFO', not SAMPLE"))
        #expect(!run.output.contains("tally-fixture-secret"))
        #expect(run.output.contains("samples of meters not in the metrics file were counted (cpu "), "\(run.output)")
        #expect(!Self.frames(run.output).isEmpty)

        // The same file with the wrong secret: every Ceilometer line is refused.
        let wrong = try Self.temporary(Array("another-secret".utf8), "wrong")
        defer { try? FileManager.default.removeItem(at: wrong) }
        let refused = try TallyProcess.run(["rate", "--metrics", Self.metrics, "--signature-secret-file", wrong.path,
                                            "--unknown-meters", "ignore", file.path])
        #expect(refused.output.components(separatedBy: ": bad-signature: ").count - 1 == 41, "\(refused.output.prefix(2000))")
        // Unknown meters dead-lettered by default: reported like any refusal.
        let strict = try TallyProcess.run(["rate", "--metrics", Self.metrics, file.path])
        #expect(strict.output.contains(": unknown-metric: "))
    }
}
