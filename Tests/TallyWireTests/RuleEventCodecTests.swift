import Foundation
import Testing
import TallyCore
@testable import TallyWire

/// The published form of rule events, checked against examples hashed by Python
/// (`json.dumps(sort_keys=True, separators=(',', ':'), ensure_ascii=False)`) and jq.
struct RuleEventCodecTests {
    static func example(_ n: Int) -> [UInt8] {
        let here = URL(fileURLWithPath: #filePath)
        let path = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schemas/examples/rule-event-\(n).json").path
        var bytes = Array((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data())
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return bytes
    }

    /// Hashes computed by Python and jq when the examples were written (docs/RULE-LOG.md).
    static let exampleHashes = [
        "70c186243e89f290d733a609cebc955c95fdfed748c26412e3378f77de99028f",
        "bbc944c9a2c9f89a9d10f1eec6cabff729285f88177b92169499c63fbf1e79d6",
        "cbcb3dfddd2e72072dc91d13654aa5e2f1a56685998a3266a5fd580a9c3e6850",
        "ce07c01b940b5c620cc6a27df4d0d0fa89c603f818b77609ecd7f19e108b76ca",
    ]

    @Test(arguments: 1...4) func examplesAreCanonicalAndHashAsPythonSays(n: Int) throws {
        let bytes = Self.example(n)
        let event = try RuleEventCodec.decode(bytes)
        #expect(event.hash == Self.exampleHashes[n - 1])
        #expect(event.computedHash() == event.hash)
        #expect(RuleEventCodec.encode(event) == bytes)
        #expect(event.previousHash == (n == 1 ? "" : Self.exampleHashes[n - 2]))
    }

    @Test func examplesFormAnIntactChain() {
        let report = RuleLogVerification.verify(events: (1...4).map { (Int64($0 - 1), Self.example($0)) })
        #expect(report.isIntact && report.chainedCount == 4 && report.head == Self.exampleHashes[3])
    }

    @Test func decodedExamplesCarryTheirMeaning() throws {
        let first = try RuleEventCodec.decode(Self.example(1))
        guard case .create(.mapping(let m)) = first.change else { Issue.record("not a mapping: \(first.change)"); return }
        #expect(m.cost == ExactDecimal("0.12")! && m.field == "flavor" && m.value == "m1.tiny")
        #expect(m.validity == RuleValidity(start: first.start, end: nil))
        #expect(first.recordedAt.micros == 1_780_306_200_000_000)
        let second = try RuleEventCodec.decode(Self.example(2))
        #expect(second.recordedAt.micros % 1_000_000 == 250_000)
        #expect(second.change == .end(.rule(.mapping, "flavor-tiny")))
        let third = try RuleEventCodec.decode(Self.example(3))
        guard case .create(.tier(let t)) = third.change else { Issue.record("not a tier"); return }
        #expect(third.force && t.schedule.tiers.count == 2 && t.schedule.freeAllowance == ExactDecimal("1073741824")!)
        #expect(try RuleEventCodec.decode(Self.example(4)).change == .setModulePriority(.script, 0))
    }

    static let allChanges: [RuleChange] = [
        .create(.group("g")), .create(.service(ServiceDeclaration(name: "volume.size", fields: ["volume_type", "zone"]))),
        .create(.field(service: "compute", name: "flavor")),
        .create(.mapping(HashMapping(id: "m", service: "compute", type: .rate, cost: ExactDecimal("-1.50")!, tenant: "t\u{1}\"é"))),
        .update(.threshold(HashThreshold(id: "t", service: "compute", field: "memory", level: ExactDecimal("16384")!,
                                         type: .flat, cost: ExactDecimal("0.02")!, group: "premium"))),
        .create(.tier(TierRule(id: "p", service: "snap", schedule: TierSchedule(mode: .package, packageSize: ExactDecimal(100),
                                                                                  packagePrice: ExactDecimal("2.5")!),
                               cycle: .fixed(seconds: 604_800, anchor: EventTime(micros: 1_736_121_600_000_000)), tenant: "x"))),
        .create(.tier(TierRule(id: "v", service: "net", schedule: TierSchedule(mode: .volume, tiers: [
            .init(upTo: ExactDecimal(10), unitPrice: ExactDecimal(1), flatFee: ExactDecimal(5)), .init(upTo: nil, unitPrice: .zero),
        ]), cycle: .calendarMonth(utcOffsetSeconds: 7200)))),
        .create(.script(ScriptRule(id: "s", source: "-- a\n\treturn price\n"))),
        .end(.rule(.tier, "p")), .delete(.field(service: "compute", name: "flavor")), .delete(.group("g")), .end(.service("x")),
        .enableModule(.noop), .disableModule(.hashmap), .setModulePriority(.tiers, -3),
    ]

    @Test func everyChangeRoundTrips() throws {
        var head = ""
        for (i, change) in Self.allChanges.enumerated() {
            let event = RuleEvent(id: "e\(i)", author: "a", reason: "r", recordedAt: EventTime(micros: 1_000_001),
                                  start: EventTime(micros: 2_000_000), end: i % 3 == 0 ? EventTime(micros: 9_000_000) : nil,
                                  force: i % 2 == 0, change: change).sealed(after: head)
            head = event.hash
            let bytes = RuleEventCodec.encode(event)
            let decoded = try RuleEventCodec.decode(bytes)
            #expect(decoded == event, "change \(i)")
            #expect(decoded.hashIsValid)
            #expect(RuleEventCodec.encode(decoded) == bytes)
            // The fast byte writer and the tree's text agree, escapes included.
            #expect(bytes == Array(event.canonicalText().utf8))
        }
    }

    static func field(of text: String) -> String? {
        do { _ = try RuleEventCodec.decode(Array(text.utf8)); return nil } catch { return error.field }
    }

    @Test func errorsNameTheField() {
        let good = String(decoding: Self.example(1), as: UTF8.self)
        #expect(Self.field(of: good) == nil)
        #expect(Self.field(of: good.replacingOccurrences(of: "\"author\":\"alice@example.com\",", with: "")) == "author")
        #expect(Self.field(of: good.replacingOccurrences(of: "\"cost\":\"0.12\"", with: "\"cost\":\"cheap\"")) == "change.cost")
        #expect(Self.field(of: good.replacingOccurrences(of: "\"cost\":\"0.12\"", with: "\"cost\":0.12")) == "(document)")
        #expect(Self.field(of: good.replacingOccurrences(of: "\"cost\":\"0.12\"", with: "\"cost\":12")) == "change.cost")
        #expect(Self.field(of: good.replacingOccurrences(of: "\"type\":\"flat\"", with: "\"type\":\"flat\",\"colour\":1"))
            == "change.colour")
        #expect(Self.field(of: good.replacingOccurrences(of: "2026-07-01T00:00:00Z", with: "2026-13-01T00:00:00Z")) == "start")
        #expect(Self.field(of: good.replacingOccurrences(of: "\"op\":\"create\"", with: "\"op\":\"rename\"")) == "change.op")
        #expect(Self.field(of: good.replacingOccurrences(of: "\"force\":false", with: "\"force\":\"no\"")) == "force")
        #expect(Self.field(of: good + "x") == "(document)")
        #expect(Self.field(of: good.replacingOccurrences(of: "\"id\":\"5f1c", with: "\"id\":\"x\",\"id\":\"5f1c")) == "(document)")
    }
}
