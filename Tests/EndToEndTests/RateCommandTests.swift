import Foundation
import Testing

/// `tally rate` and `tally quote` as a user runs them, on the files in Fixtures/.
@Suite struct RateCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func path(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    static func frames(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test func ratesSampleFilesAsTheRaterWould() throws {
        let run = try TallyProcess.run(["rate", "--metrics", Self.path("metrics.yaml"), "--rules", Self.path("rules.yaml"),
                                        "--format", "json", Self.path("samples.jsonl")])
        #expect(run.status == 0, "\(run.output)")
        let frames = Self.frames(run.output)
        let byKey = Dictionary(frames.map { f -> (String, String) in
            let start = (f["window"] as? [String: Any])?["start"] as? String ?? ""
            return ("\(f["metric"] as? String ?? "") \(start)", "\(f["quantity"] as? String ?? "") \(f["price"] as? String ?? "")")
        }, uniquingKeysWith: { a, _ in a })
        #expect(byKey["instance 2026-11-02T00:00:00Z"] == "1 0.025")
        #expect(byKey["instance 2026-11-02T01:00:00Z"] == "1 0.1")
        #expect(byKey["volume.size 2026-11-02T00:00:00Z"] == "50 0.02")
        // 15 GiB of egress, the first 10 free each month, then 0.08 per GiB.
        #expect(byKey["network.outgoing.bytes 2026-11-02T00:00:00Z"] == "15 0.4")
        #expect(frames.count == 4)
    }

    @Test func badLinesAreNamedByFileAndLineAndExitTwo() throws {
        let run = try TallyProcess.run(["rate", "--metrics", Self.path("metrics.yaml"), Self.path("bad-samples.jsonl")])
        #expect(run.status == 2)
        #expect(run.output.contains("bad-samples.jsonl:3: negative-volume"))
        #expect(run.output.contains("bad-samples.jsonl:4: bad-timestamp"))
        #expect(run.output.contains("bad-samples.jsonl:5: malformed-json"))
        #expect(run.output.contains("instance"))  // the good lines are still rated and printed
    }

    @Test func quotePricesAndExplains() throws {
        let run = try TallyProcess.run(["quote", "--rules", Self.path("rules.yaml"), "--metric", "instance", "--qty", "24",
                                        "--meta", "flavor_name=m1.large", "--at", "2026-11-02T00:00:00Z"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("price: 2.4"))
        #expect(run.output.contains("m1-large"))
        let unknown = try TallyProcess.run(["quote", "--rules", Self.path("rules.yaml"), "--metric", "instance", "--qty", "x"])
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("not a decimal"))
    }
}

/// The README's first command ends in `tally demo`: it must run on its own and print a bill.
@Suite struct DemoCommandTests {
    @Test func demoRatesADayAndPrintsABillPerProject() throws {
        let run = try TallyProcess.run(["demo"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.components(separatedBy: "Bill for ").count == 4)
        // Each bill is what `tally report` prints (DemoBillTests checks the two agree).
        #expect(run.output.components(separatedBy: "--group-by metric --from ").count == 4)
        #expect(run.output.contains("rule events accepted"))
        #expect(run.output.contains("dead letter: negative-volume × 1"))
        // The audit story: a backdated change, a dry-run diff, corrections applied once, a trace.
        #expect(run.output.contains("published backdated with --force: accepted"))
        // Apply queues a command; the rater, the only writer of the frames topic, executes it.
        #expect(run.output.range(of: #"applied \(tally replay --apply\): [1-9][0-9]* corrections queued"#,
                                 options: .regularExpression) != nil)
        #expect(run.output.range(of: #"the rater executed it: [1-9][0-9]* correction revisions emitted, 0 skipped"#,
                                 options: .regularExpression) != nil)
        #expect(run.output.contains("applied again: 0 corrections"))
        #expect(run.output.contains("digest matches"))
        #expect(run.output.contains("m1-small-amendment"))
    }
}

/// Every frame carries exactly the members schemas/frame.schema.json declares, all
/// the required ones among them.
@Suite struct FrameSchemaTests {
    @Test func framesMatchTheSchemasMembers() throws {
        let root = RateCommandTests.fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("schemas/frame.schema.json"))) as! [String: Any]
        let required = Set(schema["required"] as! [String])
        let declared = Set((schema["properties"] as! [String: Any]).keys)
        let run = try TallyProcess.run(["rate", "--metrics", RateCommandTests.path("metrics.yaml"), "--rules",
                                        RateCommandTests.path("rules.yaml"), "--format", "json", RateCommandTests.path("samples.jsonl")])
        let frames = RateCommandTests.frames(run.output)
        #expect(!frames.isEmpty)
        for frame in frames {
            let keys = Set(frame.keys)
            #expect(required.isSubset(of: keys), "missing \(required.subtracting(keys))")
            #expect(keys.isSubset(of: declared), "undeclared \(keys.subtracting(declared))")
            #expect(frame["rating"] is [Any])
        }
    }
}
