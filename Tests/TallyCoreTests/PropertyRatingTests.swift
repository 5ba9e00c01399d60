import PropertyBased
import Testing
@testable import TallyCore

/// Properties of the rating rules, over rule books and points built from random numbers.
@Suite struct PropertyRatingTests {
    static let fields = ["flavor", "region", "memory"]
    static let values = ["a", "b", "c", "8", "64"]
    static let groups = ["G1", "G2"]
    static let service = ServiceDeclaration(name: "compute", fields: fields)

    /// A random valid rule set: each number picks one rule (duplicates are skipped).
    static func rules(_ seeds: [Int], tenant: String? = nil, idPrefix: String = "r") -> ([HashMapping], [HashThreshold]) {
        var mappings: [HashMapping] = [], thresholds: [HashThreshold] = []
        var keys: Set<String> = []
        for (i, s) in seeds.enumerated() {
            let s = abs(s)
            let group = s % 3 == 0 ? nil : groups[s % 2]
            let cost = ExactDecimal(coefficient: Int128(s % 997), exponent: -Int32(s % 3))
            let type: CostType = (s / 7) % 3 == 0 ? .rate : .flat
            let field = fields[(s / 11) % fields.count]
            let id = "\(idPrefix)\(i)"
            switch (s / 13) % 4 {
            case 0:
                guard keys.insert("s|\(group ?? "")").inserted else { continue }
                mappings.append(HashMapping(id: id, service: "compute", type: type, cost: cost, group: group, tenant: tenant))
            case 1, 2:
                let value = values[(s / 17) % values.count]
                guard keys.insert("f|\(field)|\(value)|\(group ?? "")").inserted else { continue }
                mappings.append(HashMapping(id: id, service: "compute", field: field, value: value, type: type,
                                            cost: cost, group: group, tenant: tenant))
            default:
                let level = ExactDecimal((s / 19) % 100)
                let onField: String? = s % 2 == 0 ? "memory" : nil
                guard keys.insert("t|\(onField ?? "")|\(level)|\(group ?? "")").inserted else { continue }
                thresholds.append(HashThreshold(id: id, service: "compute", field: onField, level: level, type: type,
                                                cost: cost, group: group, tenant: tenant))
            }
        }
        return (mappings, thresholds)
    }

    static func book(_ m: [HashMapping], _ t: [HashThreshold]) throws -> RuleBook {
        try RuleBook(validating: RuleSet(groups: groups, services: [service], mappings: m, thresholds: t))
    }

    static func point(_ p: [Int], scope: String = "other") -> RatingInput {
        let v = p.map { abs($0) }
        return RT.input(qty: String(v[0] % 50), scope: scope, [
            ("flavor", .string, values[v[1] % values.count]),
            ("region", .int, String(v[2] % 10)),
            ("memory", .string, String(v[3] % 120)),
        ])
    }

    static let seeds = Gen.int(in: 0...1_000_000).array(of: 0...12)
    static let pointGen = Gen.int(in: 0...1_000).array(of: 4)

    @Test func addingANonMatchingRuleNeverChangesAPrice() async throws {
        await propertyCheck(count: 200, input: Self.seeds, Self.pointGen, Gen.int(in: 0...3)) { seeds, p, kind in
            let (m, t) = Self.rules(seeds)
            let input = Self.point(p)
            let book = try Self.book(m, t)
            let before = RT.prices(book, [input])
            var m2 = m, t2 = t
            switch kind {
            case 0: m2.append(RT.fm("extra", "flavor", "zz-no-such-flavor", .flat, "9", group: "G2"))
            case 1: m2.append(RT.sm("extra", .flat, "9", service: "network"))
            case 2: t2.append(RT.th("extra", "1000", .flat, "9", group: "G1"))  // qty < 50
            default: t2.append(RT.th("extra", field: "memory", "500", .rate, "9"))  // memory < 120
            }
            let services = [Self.service, ServiceDeclaration(name: "network")]
            let book2 = try RuleBook(validating: RuleSet(groups: Self.groups, services: services, mappings: m2, thresholds: t2))
            let after = RT.prices(book2, [input])
            #expect(after == before)
        }
    }

    @Test func aTenantRuleNeverChangesAnotherTenantsPrice() async throws {
        await propertyCheck(count: 200, input: Self.seeds, Self.seeds, Self.pointGen) { seeds, tenantSeeds, p in
            let (m, t) = Self.rules(seeds)
            let (tm, tt) = Self.rules(tenantSeeds, tenant: "acme", idPrefix: "acme")
            let input = Self.point(p, scope: "other")
            let withTenant = RT.prices(try Self.book(m + tm, t + tt), [input])
            let globalOnly = RT.prices(try Self.book(m, t), [input])
            #expect(withTenant == globalOnly)
        }
    }

    static let schedule = TierSchedule(
        mode: .graduated,
        tiers: [.init(upTo: ExactDecimal(100), unitPrice: RT.d("0.12")),
                .init(upTo: ExactDecimal(500), unitPrice: RT.d("0.07"), flatFee: RT.d("1.5")),
                .init(upTo: nil, unitPrice: RT.d("0.031"))],
        freeAllowance: ExactDecimal(10), minimumCharge: ExactDecimal(3))

    @Test func tierPricesDoNotDependOnClosingOrder() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...400).array(of: 1...10), Gen.int(in: 0...1_000_000)) { qs, shuffleSeed in
            let windows = qs.enumerated().map { TierWindow(start: EventTime(micros: Int64($0.offset)), quantity: ExactDecimal($0.element)) }
            let inOrder = Self.schedule.prices(cycleWindows: windows).map(\.price)
            // Close windows in a scrambled order; each is priced from the windows that start before it.
            var order = Array(windows.indices)
            var state = UInt64(shuffleSeed)
            for i in order.indices.reversed() {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                order.swapAt(i, Int(state >> 33) % (i + 1))
            }
            for i in order {
                let prior = windows[..<i].reduce(ExactDecimal.zero) { $0 + $1.quantity }
                let price = Self.schedule.windowPrice(priorQuantity: prior, priorWindows: i, quantity: windows[i].quantity)
                #expect(price == inOrder[i])
            }
        }
    }

    @Test func splittingQuantityAcrossWindowsKeepsTheCycleTotal() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...100_000).array(of: 1...8)) { parts in
            let quantities = parts.map { ExactDecimal(coefficient: Int128($0), exponent: -2) }
            let total = quantities.reduce(ExactDecimal.zero, +)
            let windows = quantities.enumerated().map { TierWindow(start: EventTime(micros: Int64($0.offset)), quantity: $0.element) }
            let sum = Self.schedule.prices(cycleWindows: windows).reduce(ExactDecimal.zero) { $0 + $1.price }
            #expect(sum == Self.schedule.cumulativePrice(quantity: total, windows: 1))
        }
    }
}

/// ExactDecimal against an independent exact reference (Int128 arithmetic on small values).
@Suite struct PropertyMoneyTests {
    static let operand = Gen.int(in: -999_999_999...999_999_999)
    static let scale = Gen.int(in: 0...9)

    @Test func smallSumsAndProductsAreExact() async {
        await propertyCheck(count: 500, input: Self.operand, Self.scale, Self.operand, Self.scale) { a, sa, b, sb in
            let x = ExactDecimal(coefficient: Int128(a), exponent: -Int32(sa))
            let y = ExactDecimal(coefficient: Int128(b), exponent: -Int32(sb))
            let s = max(sa, sb)
            let ax = Int128(a) * Int128(Pow10.u128[s - sa]), by = Int128(b) * Int128(Pow10.u128[s - sb])
            #expect(x + y == ExactDecimal(coefficient: ax + by, exponent: -Int32(s)))
            #expect(x - y == ExactDecimal(coefficient: ax - by, exponent: -Int32(s)))
            #expect(x * y == ExactDecimal(coefficient: Int128(a) * Int128(b), exponent: -Int32(sa + sb)))
            if b != 0 {
                // |q × y − x| stays below |x| × 10^-26 (q has 28 correct digits).
                let error = x.divided(by: y) * y - x
                let bound = x * ExactDecimal(coefficient: 1, exponent: -26)
                #expect((error.isNegative ? -error : error) <= (bound.isNegative ? -bound : bound))
            }
            #expect((x < y) == (ax < by))
            #expect((x == y) == (ax == by))
        }
    }
}
