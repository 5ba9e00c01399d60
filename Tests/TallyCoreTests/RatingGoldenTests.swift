import Foundation
import Testing
@testable import TallyCore

/// Random books and points priced by an independent Python implementation of
/// rating-semantics.md (tools/golden/hashmap_golden.py); Tally must agree digit for digit.
@Suite struct RatingGoldenTests {
    @Test func randomBooksMatchThePythonReference() throws {
        let cases = try JSONSerialization.jsonObject(with: Data(ratingGoldenJSON.utf8)) as! [[String: Any]]
        #expect(cases.count == 400)
        var checked = 0, failures = 0
        for (n, c) in cases.enumerated() {
            let mappings = (c["mappings"] as! [[String: Any]]).map { m in
                HashMapping(id: m["id"] as! String, service: "compute", field: m["field"] as? String,
                            value: m["value"] as? String, type: CostType(rawValue: m["type"] as! String)!,
                            cost: ExactDecimal(m["cost"] as! String)!, group: m["group"] as? String, tenant: m["tenant"] as? String)
            }
            let thresholds = (c["thresholds"] as! [[String: Any]]).map { t in
                HashThreshold(id: t["id"] as! String, service: "compute", field: t["field"] as? String,
                              level: ExactDecimal(t["level"] as! String)!, type: CostType(rawValue: t["type"] as! String)!,
                              cost: ExactDecimal(t["cost"] as! String)!, group: t["group"] as? String, tenant: t["tenant"] as? String)
            }
            let service = ServiceDeclaration(name: "compute", fields: ["flavor", "size", "memory", "flag"])
            let book = try RuleBook(validating: RuleSet(groups: ["G1", "G2"], services: [service],
                                                        mappings: mappings, thresholds: thresholds))
            let rater = Rater(book: book)
            for p in c["points"] as! [[String: Any]] {
                let entries = (p["desc"] as! [[String]]).map { e in
                    (name: e[0], kind: Self.kind(e[1]), text: e[2])
                }
                let input = RatingInput(service: "compute", scope: p["scope"] as! String, resource: "r",
                                        quantity: ExactDecimal(p["qty"] as! String)!, unit: "u",
                                        windowStart: RT.t0, windowEnd: RT.t0, description: RatingDescription(entries))
                let result = rater.rate(input)
                if let expected = p["price"] as? String {
                    #expect(result.isRated && result.price == ExactDecimal(expected)!,
                            "case \(n): expected \(expected), got \(result.price) \(result.status)")
                    // The explanation's bytes come from the hashmap's trace: the tree's, exactly.
                    #expect(result.explanation.canonicalBytes == result.explanation.json.bytes, "case \(n)")
                } else {
                    #expect(!result.isRated, "case \(n): expected a failed window, got \(result.price)")
                    failures += 1
                }
                checked += 1
            }
        }
        #expect(checked == 1600 && failures > 50)
    }

    static func kind(_ name: String) -> MetaKind {
        switch name {
        case "null": return .null
        case "bool": return .bool
        case "int": return .int
        case "float": return .float
        default: return .string
        }
    }
}
