import Testing
import TallyCore
@testable import TallyWire

/// Issue 9 item 1's importer: CloudKitty's hashmap export becomes a rule set that
/// validates, keeps exact costs and dated overlaps in creation order, drops soft-deleted
/// rules, and writes as a ruleset file that reads back the same.
struct CloudKittyImportTests {
    static let export = """
    {"services": [{"service_id": "s1", "name": "instance"}],
     "fields": [{"field_id": "f1", "name": "flavor_name", "service_id": "s1"}],
     "groups": [{"group_id": "g1", "name": "compute"}],
     "mappings": [
       {"mapping_id": "m-new", "value": "m1.small", "type": "flat", "cost": 0.05, "field_id": "f1", "group_id": "g1",
        "tenant_id": null, "start": "2026-03-01T00:00:00", "end": null, "deleted": null, "created_at": "2026-02-01T00:00:00"},
       {"mapping_id": "m-old", "value": "m1.small", "type": "flat", "cost": "0.02500000", "field_id": "f1", "group_id": "g1",
        "tenant_id": null, "start": "2026-01-01T00:00:00", "end": "2026-06-01T00:00:00", "deleted": null,
        "created_at": "2026-01-01T00:00:00"},
       {"mapping_id": "m-gone", "value": "m1.large", "type": "flat", "cost": "9", "field_id": "f1",
        "deleted": "2026-01-02T00:00:00", "created_at": "2026-01-01T12:00:00"},
       {"mapping_id": "m-base", "type": "rate", "cost": 1.1, "service_id": "s1", "group_id": "g1", "created_at": "2026-01-01T13:00:00"}],
     "thresholds": [{"threshold_id": "t1", "level": 100, "map_type": "rate", "cost": 0.9, "service_id": "s1"}]}
    """

    @Test func anExportBecomesTheSameRulesCloudKittyApplies() throws {
        let rules = try CloudKittyHashmapImport.ruleSet(fromJSON: Array(Self.export.utf8))
        #expect(rules.mappings.map(\.id) == ["m-old", "m-base", "m-new"], "creation order; the deleted one dropped")
        #expect(rules.mappings.first { $0.id == "m-old" }?.cost == ExactDecimal("0.025")!)
        #expect(rules.thresholds.first?.cost.canonicalText == "0.9" && rules.thresholds.first?.type == .rate)
        let book = try RuleBook(validating: rules)  // the dated overlap CloudKitty accepted loads
        func price(_ at: String) throws -> String {
            let input = RatingInput(service: "instance", scope: "p", resource: "r", quantity: ExactDecimal("1")!, unit: "instance",
                                    windowStart: try TimestampParser.parse(at), windowEnd: try TimestampParser.parse(at) + TimeSpan.hours(1),
                                    description: RatingDescription([(name: "flavor_name", kind: .string, text: "m1.small")]))
            return Rater(book: book).rate(input).price.canonicalText
        }
        #expect(try price("2026-02-01T00:00:00Z") == "0.0275", "m-old × the service's rate 1.1")
        #expect(try price("2026-04-01T00:00:00Z") == "0.055", "both live: the later-created m-new × 1.1")
        let back = try RulesetFile.parse(yaml: RulesetYAML.encode(rules))
        #expect(back.contentHash == rules.contentHash)
    }

    @Test func aBrokenExportNamesWhatIsWrong() {
        let bad = Self.export.replacingOccurrences(of: "\"cost\": 0.05, \"field_id\": \"f1\"", with: "\"cost\": 0.05, \"field_id\": \"f9\"")
        #expect(bad != Self.export)
        do {
            _ = try CloudKittyHashmapImport.ruleSet(fromJSON: Array(bad.utf8), file: "export.json")
            Issue.record("accepted an unknown field id")
        } catch {
            #expect("\(error)".contains("no field f9"), "\(error)")
        }
    }
}
