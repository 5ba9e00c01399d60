import Foundation
import Testing
import TallyCore
@testable import TallyWire

@Suite struct RulesetFileTests {
    static var exampleText: String {
        let here = URL(fileURLWithPath: #filePath)
        let path = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schemas/examples/ruleset.example.yaml").path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    @Test func loadsTheExample() throws {
        let book = try RulesetFile.load(yaml: Self.exampleText, file: "ruleset.example.yaml")
        let rules = book.rules
        #expect(rules.groups == ["instance_uptime_flavor", "volume", "premium"])
        #expect(rules.services.map(\.name) == ["compute", "volume.size"])
        #expect(rules.services[0].fields == ["flavor", "memory_mb", "image_id"])
        #expect(rules.mappings.count == 7)
        let tiny2026 = rules.mappings.first { $0.id == "flavor-tiny-2026" }
        #expect(tiny2026?.validity.start == EventTime(micros: 1_782_864_000_000_000))
        #expect(tiny2026?.cost == ExactDecimal("0.12"))
        #expect(rules.mappings.first { $0.id == "flavor-nano-acme" }?.tenant == "6c0cb5b8e8e54e6a9d4c9e9f1a2b3c4d")
        #expect(rules.thresholds.map(\.id) == ["compute-bulk", "memory-large"])
        #expect(rules.tiers.count == 2)
        #expect(rules.tiers[0].schedule.tiers.count == 2 && rules.tiers[0].schedule.tiers[1].upTo == nil)
        #expect(rules.tiers[0].schedule.freeAllowance == ExactDecimal(1_073_741_824))
        #expect(rules.tiers[1].schedule.packagePrice == ExactDecimal("2.5"))
        #expect(rules.scripts.first?.source.contains("return price") == true)
        #expect(rules.setting(for: .script).enabled == false)
        #expect(book.moduleOrder == [.hashmap, .tiers])
    }

    @Test func theExamplePricesAWindow() throws {
        let rater = Rater(book: try RulesetFile.load(yaml: Self.exampleText))
        let description = RatingDescription([(name: "flavor", kind: .string, text: "m1.tiny")])
        let at = EventTime(micros: 1_767_225_600_000_000)  // 2026-01-01
        #expect(rater.quote(service: "compute", quantity: ExactDecimal(2), description: description, at: at).price
                == ExactDecimal("0.2"))  // max(0.01, 0.10) × 2
        let later = EventTime(micros: 1_782_864_000_000_000)
        #expect(rater.quote(service: "compute", quantity: ExactDecimal(2), description: description, at: later).price
                == ExactDecimal("0.24"))
    }

    func problems(_ yaml: String) -> [RulesetFileError.Problem] {
        do { _ = try RulesetFile.load(yaml: yaml, file: "r.yaml"); return [] } catch let e as RulesetFileError {
            return e.problems
        } catch { Issue.record("\(error)"); return [] }
    }

    @Test func shapeErrorsCarryLineAndPath() {
        let yaml = """
        version: 1
        services:
          compute:
            mappings:
              - {id: a, type: flat, cost: 1.x}
        """
        let p = problems(yaml)
        #expect(p.count == 1)
        #expect(p.first?.location.hasPrefix("r.yaml:5:") == true, "\(p)")
        #expect(p.first?.path == "services.compute.mappings[0].cost")
        #expect(p.first?.message.contains("1.x") == true)
        #expect(problems("version: 1\nservics: {}\n").first?.message.contains("unknown key 'servics'") == true)
        #expect(problems("version: 1\ntiers:\n  - {id: t, service: s, mode: steps}\n").first?.message.contains("graduated") == true)
        #expect(problems("version: [1\n").first?.message.contains("not valid YAML") == true)
    }

    @Test func validationErrorsPointAtTheRule() {
        let yaml = """
        version: 1
        services:
          compute:
            mappings:
              - {id: a, type: flat, cost: 1}
              - {id: b, type: flat, cost: 2, group: nope}
        """
        let p = problems(yaml)
        #expect(p.contains { $0.path == "b" && $0.location.hasPrefix("r.yaml:6:") && $0.message.contains("unknown group") }, "\(p)")
    }

    @Test func timestampsAndCycles() throws {
        #expect(RulesetTimestamp.parse("2026-07-01") == EventTime(micros: 1_782_864_000_000_000))
        #expect(RulesetTimestamp.parse("2026-07-01T02:00:00+02:00") == EventTime(micros: 1_782_864_000_000_000))
        #expect(RulesetTimestamp.parse("2026-07-01T00:00:00.25Z") == EventTime(micros: 1_782_864_000_250_000))
        #expect(RulesetTimestamp.parse("2026-13-01") == nil)
        let yaml = """
        version: 1
        tiers:
          - id: t
            service: s
            mode: volume
            cycle: {every: month, utc_offset: "-05:00"}
            tiers: [{unit_price: 1}]
          - id: u
            service: v
            mode: package
            cycle: {every_seconds: 604800, anchor: 2026-01-05}
            package: {size: 10, price: 1}
        """
        let rules = try RulesetFile.parse(yaml: yaml)
        #expect(rules.tiers[0].cycle == .calendarMonth(utcOffsetSeconds: -18_000))
        #expect(rules.tiers[1].cycle == .fixed(seconds: 604_800, anchor: EventTime(micros: 1_767_571_200_000_000)))
    }
}
