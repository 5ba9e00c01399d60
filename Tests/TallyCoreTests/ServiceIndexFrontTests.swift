import PropertyBased
import Testing
@testable import TallyCore

/// Holds a lookup's `Front` and the scope table's copy of it to the general path: a
/// tenant's overrides kept inline (up to `Front.inlineCapacity`) or in the lookup's
/// open-addressing table (more), priced through the `Rater` (which reads the copy in the
/// scope's entry) and through the index itself, against the general overlay (fields and
/// value tables of its own, no overrides): same price and exponent, same explanation bytes.
@Suite struct ServiceIndexFrontTests {
    static let flavors = (0..<30).map { "m1.f\($0)" }
    static let regions = (0..<8).map { "r\($0)" }
    static let service = ServiceDeclaration(name: "compute", fields: ["flavor", "region"])

    /// Every flavor and region priced globally (flat or rate, two groups), so any tenant
    /// mapping of them fits a shared-fields overlay.
    static func globalRules() -> [HashMapping] {
        var m: [HashMapping] = [HashMapping(id: "svc", service: "compute", type: .flat, cost: ExactDecimal(1), group: "G1")]
        for (i, f) in flavors.enumerated() {
            m.append(HashMapping(id: "f\(i)", service: "compute", field: "flavor", value: f, type: i % 4 == 0 ? .rate : .flat,
                                 cost: ExactDecimal(coefficient: Int128(i + 3), exponent: -2), group: i % 3 == 0 ? "G2" : "G1"))
        }
        for (i, r) in regions.enumerated() {
            m.append(HashMapping(id: "r\(i)", service: "compute", field: "region", value: r, type: .flat,
                                 cost: ExactDecimal(coefficient: Int128(i + 1), exponent: -3), group: "G2"))
        }
        return m
    }

    /// A tenant's own prices for the values `picks` chooses (distinct (field, value, group)).
    static func tenantRules(_ picks: [Int]) -> [HashMapping] {
        var seen: Set<String> = [], m: [HashMapping] = []
        for (i, p) in picks.enumerated() {
            let onFlavor = p % 5 != 0
            let value = onFlavor ? flavors[(p / 5) % flavors.count] : regions[(p / 5) % regions.count]
            let group = (p / 7) % 2 == 0 ? "G1" : "G2"
            guard seen.insert("\(onFlavor)|\(value)|\(group)").inserted else { continue }
            m.append(HashMapping(id: "t\(i)", service: "compute", field: onFlavor ? "flavor" : "region", value: value,
                                 type: (p / 11) % 3 == 0 ? .rate : .flat,
                                 cost: ExactDecimal(coefficient: Int128(p % 997), exponent: -Int32(p % 4)),
                                 group: group, tenant: "acct"))
        }
        return m
    }

    static func window(_ p: [Int], scope: String) -> RatingInput {
        let flavor = p[1] % 7 == 0 ? "m1.none" : flavors[p[1] % flavors.count]
        return RatingInput(service: "compute", scope: scope, resource: "r",
                           quantity: ExactDecimal(coefficient: Int128(p[0] % 500), exponent: -1), unit: "u",
                           windowStart: RT.t0, windowEnd: RT.t0, description: RatingDescription([
                               (name: "flavor", kind: .string, text: flavor),
                               (name: "region", kind: .string, text: regions[p[2] % regions.count]),
                           ]))
    }

    @Test func inlineAndTabledOverridesGiveTheGeneralOverlaysResult() async throws {
        final class Count: @unchecked Sendable { var inline = 0, tabled = 0 }
        let count = Count()
        let picks = Gen.int(in: 0...1_000_000).array(of: 0...24)
        let windows = Gen.int(in: 0...100_000).array(of: 3).array(of: 1...8)
        await propertyCheck(count: 150, input: picks, windows) { picks, windows in
            let global = Self.globalRules(), own = Self.tenantRules(picks)
            let book = try RuleBook(validating: RuleSet(groups: ["G1", "G2"], services: [Self.service], mappings: global + own))
            guard let base = ServiceIndexBuilder.compile(Self.service, base: nil, mappings: global, thresholds: []),
                  let shared = ServiceIndexBuilder.compile(Self.service, base: base, mappings: own, thresholds: []),
                  let general = ServiceIndexBuilder.compile(Self.service, base: base, mappings: own, thresholds: [], sharedFields: false)
            else { return }
            let front = shared.lookup.front
            if !own.isEmpty { #expect(shared.sharesBaseFields) }
            let overridden = Set(own.map { "\($0.field!)|\($0.value!)" }).count
            #expect(front.inlineCount == (overridden <= ServiceIndex.Front.inlineCapacity ? Int32(overridden) : -1))
            if front.inlineCount > 0 { count.inline += 1 } else if front.inlineCount < 0 { count.tabled += 1 }
            let rater = Rater(book: book)
            for p in windows {
                for scope in ["acct", "other"] {
                    let input = Self.window(p, scope: scope)
                    if scope == "acct" { HashmapFastPathTests.expectSameOutcomes(shared, general, input) }
                    for explain in [false, true] {
                        // The Rater reads the scope entry's copy of the front (twice: the
                        // first window of a scope compiles it, the second finds it).
                        _ = rater.rate(input, explain: explain)
                        let viaRater = rater.rate(input, explain: explain)
                        let index = scope == "acct" ? general : base
                        guard case .priced(let price, let trace) = HashmapModule.rate(
                            index.lookupPointer, quantity: input.quantity, description: input.description,
                            service: "compute", incoming: .zero, explain: explain) else {
                            Issue.record("the general overlay failed a window without thresholds"); continue
                        }
                        #expect(viaRater.price.coefficient == price.coefficient && viaRater.price.exponent == price.exponent,
                                "\(viaRater.price) against \(price)")
                        if explain {
                            #expect(viaRater.explanation.canonicalBytes == trace.map { Explanation(hashmap: $0).canonicalBytes })
                        }
                    }
                }
            }
        }
        #expect(count.inline > 30 && count.tabled > 30, "\(count.inline) inline, \(count.tabled) tabled")
    }

    @Test func aFrontIsTwoCacheLinesAndAScopeEntryThree() {
        #expect(MemoryLayout<ServiceIndex.Front>.size == 128)
        #expect(MemoryLayout<ServiceIndex.Lookup>.offset(of: \ServiceIndex.Lookup.front) == 0)
    }
}
