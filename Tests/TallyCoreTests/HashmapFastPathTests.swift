import PropertyBased
import Testing
@testable import TallyCore

/// Holds the hashmap's fast paths to their references over random books and windows:
/// comparisons by `OrderKey` (with `ExactDecimal`'s compare for values without a key),
/// the Rater's hashmap-only path against its module loop, and the explanation's literal
/// writer against the tree. Costs, levels, quantities and metadata numbers mix values
/// with and without keys (more than 18 decimals), negatives and ties.
@Suite struct HashmapFastPathTests {
    static let fields = ["flavor", "region", "memory"]
    static let values = ["a", "b", "8", "64"]
    static let groups = ["G1", "G2"]
    static let service = ServiceDeclaration(name: "compute", fields: fields)

    /// A decimal from a random number: small or long exponents (the latter without a key).
    static func decimal(_ s: Int, negative: Bool = true) -> ExactDecimal {
        let exponents: [Int32] = [0, -1, -2, -3, -20, -25, 2]
        let coefficient = Int128(s % 2_003) * (negative && s % 5 == 0 ? -1 : 1)
        return ExactDecimal(coefficient: coefficient, exponent: exponents[(s / 7) % exponents.count])
    }

    static func rules(_ seeds: [Int], tenant: String? = nil) -> ([HashMapping], [HashThreshold]) {
        var mappings: [HashMapping] = [], thresholds: [HashThreshold] = []
        var keys: Set<String> = []
        for (i, s) in seeds.enumerated() {
            let group = s % 3 == 0 ? nil : groups[s % 2]
            let type: CostType = (s / 11) % 3 == 0 ? .rate : .flat
            let cost = decimal(s / 13)
            let id = "\(tenant ?? "g")-\(i)"
            switch (s / 17) % 4 {
            case 0:
                guard keys.insert("s|\(group ?? "")").inserted else { continue }
                mappings.append(HashMapping(id: id, service: "compute", type: type, cost: cost, group: group, tenant: tenant))
            case 1, 2:
                let field = fields[(s / 19) % fields.count], value = values[(s / 23) % values.count]
                guard keys.insert("f|\(field)|\(value)|\(group ?? "")").inserted else { continue }
                mappings.append(HashMapping(id: id, service: "compute", field: field, value: value, type: type,
                                            cost: cost, group: group, tenant: tenant))
            default:
                // Levels around the quantities and numbers below, some at −1 and below.
                let level = s % 7 == 0 ? ExactDecimal(-1) : decimal(s / 29 % 200)
                let field: String? = s % 2 == 0 ? "memory" : nil
                guard keys.insert("t|\(field ?? "")|\(level.canonicalText)|\(group ?? "")").inserted else { continue }
                thresholds.append(HashThreshold(id: id, service: "compute", field: field, level: level, type: type,
                                                cost: cost, group: group, tenant: tenant))
            }
        }
        return (mappings, thresholds)
    }

    static let memoryTexts: [(MetaKind, String)] = [
        (.string, "64"), (.int, "8"), (.string, " 6.4e1"), (.string, "0.00000000000000000000001"),
        (.float, "8.1"), (.string, "-0.5"), (.string, "100000000000000000000000"), (.int, "1"),
    ]

    static func window(_ p: [Int], scope: String) -> RatingInput {
        let memory = memoryTexts[p[3] % memoryTexts.count]
        var quantity = decimal(p[0], negative: false)
        if p[0] % 9 == 0 { quantity = .zero }
        return RatingInput(service: "compute", scope: scope, resource: "r", quantity: quantity, unit: "u",
                           windowStart: RT.t0, windowEnd: RT.t0, description: RatingDescription([
                               (name: "flavor", kind: .string, text: values[p[1] % values.count]),
                               (name: "region", kind: .int, text: values[p[2] % values.count]),
                               (name: "memory", kind: memory.0, text: memory.1),
                           ]))
    }

    static let seeds = Gen.int(in: 0...10_000_000).array(of: 0...14)
    static let windowGen = Gen.int(in: 0...100_000).array(of: 4)

    @Test func orderKeysOrderAsTheDecimalsDo() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...10_000_000), Gen.int(in: 0...10_000_000)) { a, b in
            let x = Self.decimal(a), y = Self.decimal(b)
            let kx = OrderKey.of(x), ky = OrderKey.of(y)
            #expect((kx == OrderKey.none) == (x.coefficient != 0 && x.exponent < -18))
            if kx != OrderKey.none && ky != OrderKey.none {
                #expect((kx < ky) == (x < y) && (kx == ky) == (x == y), "\(x) \(y)")
            }
            #expect(OrderKey.greater(kx, x, ky, y) == (x > y))
        }
        #expect(OrderKey.of(ExactDecimal(-1)) == OrderKey.minusOne)
    }

    /// The same book once as it is (the Rater's hashmap-only path) and once with a tier
    /// rule on another service, which sends every window through the module loop.
    @Test func theHashmapOnlyPathGivesTheModuleLoopsResult() async throws {
        await propertyCheck(count: 150, input: Self.seeds, Self.seeds, Self.windowGen.array(of: 1...6)) { global, own, windows in
            let (m, t) = Self.rules(global)
            let (tm, tt) = Self.rules(own, tenant: "acct")
            let network = ServiceDeclaration(name: "network")
            let tier = TierRule(id: "net", service: "network", schedule: TierSchedule(
                mode: .graduated, tiers: [.init(upTo: nil, unitPrice: ExactDecimal(1))]))
            let rules = RuleSet(groups: Self.groups, services: [Self.service, network], mappings: m + tm, thresholds: t + tt)
            var looped = rules
            looped.tiers = [tier]
            let fast = Rater(book: try RuleBook(validating: rules)), loop = Rater(book: try RuleBook(validating: looped))
            for (k, p) in windows.enumerated() {
                let input = Self.window(p, scope: k % 2 == 0 ? "acct" : "other")
                for explain in [false, true] {
                    let a = fast.rate(input, explain: explain), b = loop.rate(input, explain: explain)
                    #expect(a.status == b.status)
                    #expect(a.price.coefficient == b.price.coefficient && a.price.exponent == b.price.exponent,
                            "\(a.price) against \(b.price)")
                    #expect(a.explanation.canonicalBytes == b.explanation.canonicalBytes)
                    #expect(a.explanation.canonicalBytes == a.explanation.json.bytes)
                }
            }
        }
    }

    /// A tenant overlay that reads the global index's fields and value tables (its own
    /// runs by base slot) against the general overlay with fields and tables of its own:
    /// same price and exponent, same explanation bytes, same failures. Most books keep the
    /// tenant's field rules to mappings of values the global rules price (the shared case).
    @Test func sharedFieldOverlaysGiveTheGeneralOverlaysResult() async throws {
        final class Count: @unchecked Sendable { var shared = 0, general = 0 }
        let count = Count()
        await propertyCheck(count: 200, input: Self.seeds, Self.seeds, Self.windowGen.array(of: 1...6)) { global, own, windows in
            let (m, t) = Self.rules(global)
            var (tm, tt) = Self.rules(own, tenant: "acct")
            let priced = Set(m.compactMap { g in g.field.map { "\($0)|\(g.value ?? "")" } })
            let keepShared = own.first.map { $0 % 4 != 0 } ?? true
            if keepShared {
                tm = tm.filter { $0.field == nil || priced.contains("\($0.field!)|\($0.value ?? "")") }
                tt = tt.filter { $0.field == nil }
            }
            _ = try RuleBook(validating: RuleSet(groups: Self.groups, services: [Self.service], mappings: m + tm, thresholds: t + tt))
            guard let base = ServiceIndexBuilder.compile(Self.service, base: nil, mappings: m, thresholds: t),
                  let shared = ServiceIndexBuilder.compile(Self.service, base: base, mappings: tm, thresholds: tt),
                  let general = ServiceIndexBuilder.compile(Self.service, base: base, mappings: tm, thresholds: tt, sharedFields: false)
            else { return }
            let fieldRules = !tm.allSatisfy { $0.field == nil } || !tt.allSatisfy { $0.field == nil }
            if keepShared && fieldRules { #expect(shared.sharesBaseFields) }
            #expect(!general.sharesBaseFields)
            if shared.sharesBaseFields { count.shared += 1 } else { count.general += 1 }
            #expect(shared.groupNames == general.groupNames && shared.ruleIDs == general.ruleIDs)
            for p in windows {
                let input = Self.window(p, scope: "acct")
                Self.expectSameOutcomes(shared, general, input)
            }
        }
        #expect(count.shared > 50 && count.general > 10, "\(count.shared) shared, \(count.general) general")
    }

    /// `input` priced by two indexes, with and without explanation: the same price and
    /// exponent, the same explanation bytes, or the same failure.
    static func expectSameOutcomes(_ one: ServiceIndex, _ other: ServiceIndex, _ input: RatingInput) {
        for explain in [false, true] {
            let a = HashmapModule.rate(one.lookupPointer, quantity: input.quantity, description: input.description,
                                       service: "compute", incoming: .zero, explain: explain)
            let b = HashmapModule.rate(other.lookupPointer, quantity: input.quantity, description: input.description,
                                       service: "compute", incoming: .zero, explain: explain)
            switch (a, b) {
            case (.priced(let x, let tx), .priced(let y, let ty)):
                #expect(x.coefficient == y.coefficient && x.exponent == y.exponent, "\(x) against \(y)")
                #expect(tx.map { Explanation(hashmap: $0).canonicalBytes } == ty.map { Explanation(hashmap: $0).canonicalBytes })
            case (.failed(let x), .failed(let y)):
                #expect(x == y)
            default:
                Issue.record("one index priced, the other failed: \(a) against \(b)")
            }
        }
    }

    /// Threshold lists reduced per interval of levels (`ThresholdSteps`) against the walk
    /// over every threshold: same price and exponent, same explanation bytes (touch order,
    /// kept threshold), same failures, for global indexes and tenant overlays.
    @Test func steppedThresholdsGiveTheWalksResult() async throws {
        final class Count: @unchecked Sendable { var stepped = 0 }
        let count = Count()
        await propertyCheck(count: 200, input: Self.seeds, Self.seeds, Self.windowGen.array(of: 1...8)) { global, own, windows in
            let (m, t) = Self.rules(global)
            let (tm, tt) = Self.rules(own, tenant: "acct")
            _ = try RuleBook(validating: RuleSet(groups: Self.groups, services: [Self.service], mappings: m + tm, thresholds: t + tt))
            guard let base = ServiceIndexBuilder.compile(Self.service, base: nil, mappings: m, thresholds: t),
                  let walkedBase = ServiceIndexBuilder.compile(Self.service, base: nil, mappings: m, thresholds: t, steppedThresholds: false),
                  let overlay = ServiceIndexBuilder.compile(Self.service, base: base, mappings: tm, thresholds: tt),
                  let walkedOverlay = ServiceIndexBuilder.compile(Self.service, base: walkedBase, mappings: tm, thresholds: tt,
                                                                  steppedThresholds: false)
            else { return }
            let lists = [overlay.serviceSteps] + overlay.fields.map(\.steps)
            if lists.contains(where: { $0?.pointee.isStepped == true }) { count.stepped += 1 }
            #expect(!([walkedOverlay.serviceSteps] + walkedOverlay.fields.map(\.steps)).contains { $0?.pointee.isStepped == true })
            for p in windows {
                let input = Self.window(p, scope: "acct")
                Self.expectSameOutcomes(base, walkedBase, input)
                Self.expectSameOutcomes(overlay, walkedOverlay, input)
            }
        }
        #expect(count.stepped > 50, "\(count.stepped) books with stepped lists")
    }

    /// Threshold steps are compiled into each epoch's indexes (global and a tenant's
    /// overlay), so windows alternating between two epochs price by the thresholds in force
    /// at their start: nothing carries over when the rules change.
    @Test func thresholdStepsFollowTheEpoch() throws {
        let t1 = EventTime(micros: RT.t0.micros + 86_400_000_000), later = EventTime(micros: t1.micros + 3_600_000_000)
        let before = RuleValidity(end: t1), after = RuleValidity(start: t1)
        func th(_ id: String, _ field: String?, _ level: Int, _ cost: String, _ validity: RuleValidity,
                tenant: String? = nil) -> HashThreshold {
            HashThreshold(id: id, service: "compute", field: field, level: ExactDecimal(level), type: .flat, cost: RT.d(cost),
                          group: field == nil ? "qty" : "mem", tenant: tenant, validity: validity)
        }
        let book = try RT.book(groups: ["qty", "mem"], thresholds: [
            th("q-old", nil, 1, "10", before), th("q-new", nil, 1, "20", after),
            th("m-old", "memory", 64, "1", before), th("m-new", "memory", 64, "2", after),
            th("m-acct", "memory", 32, "5", after, tenant: "acct"),
        ])
        let rater = Rater(book: book)
        // (start, memory, scope) → service flat threshold + field flat threshold × qty 2.
        let cases: [(EventTime, String, String, String)] = [
            (RT.t0, "64", RT.scope, "12"), (later, "64", RT.scope, "24"), (RT.t0, "48", "acct", "10"),
            (later, "48", "acct", "30"), (later, "48", RT.scope, "20"), (RT.t0, "64", "acct", "12"),
            (later, "64", "acct", "24"), (RT.t0, "48", RT.scope, "10"),
        ]
        for round in 0..<2 {
            for (at, memory, scope, expected) in cases {
                let input = RT.input(qty: "2", scope: scope, at: at, [("memory", .string, memory)])
                let result = rater.rate(input, explain: round == 1)
                #expect(result.isRated && result.price.canonicalText == expected, "\(at) \(memory) \(scope): \(result.price)")
            }
        }
    }

    /// A list's steps: one threshold per group for each count of levels, the first of the
    /// group's highest level, in first-hit order; none when a level has no key.
    @Test func thresholdStepsReduceHitsPerGroup() {
        let ts = [(0, 10), (1, 5), (0, 10), (0, 20), (1, 5), (2, 0)].enumerated().map { i, p in
            CompiledThreshold(rule: Int32(i), group: Int32(p.0), level: ExactDecimal(p.1), type: .flat, cost: .one)
        }
        ts.withUnsafeBufferPointer { list in
            let steps = ThresholdSteps.make(list)
            defer { ThresholdSteps.free(steps) }
            let s = steps.pointee
            #expect(Array(s.keys) == [0, 5, 10, 20].map { Int128($0) * OrderKey.one })
            func rules(_ v: Int) -> [Int32] { s.offers(at: Int128(v) * OrderKey.one).map(\.pointee.rule) }
            #expect(rules(-1).isEmpty)
            #expect(rules(0) == [5])
            #expect(rules(7) == [1, 5])
            #expect(rules(10) == [0, 1, 5])      // rule 2 ties rule 0's level: the first stays
            #expect(rules(25) == [3, 1, 5])      // group 0's highest, at its first hit's place
            let keyless = [CompiledThreshold(rule: 0, group: 0, level: ExactDecimal(coefficient: 1, exponent: -30), type: .flat, cost: .one)]
            keyless.withUnsafeBufferPointer { k in
                let none = ThresholdSteps.make(k)
                defer { ThresholdSteps.free(none) }
                #expect(!none.pointee.isStepped && none.pointee.all.count == 1)
            }
            // 100 levels × 100 thresholds: past the build's bound, walked instead.
            let long = (0..<100).map { CompiledThreshold(rule: Int32($0), group: 0, level: ExactDecimal($0), type: .flat, cost: .one) }
            long.withUnsafeBufferPointer { l in
                let walked = ThresholdSteps.make(l)
                defer { ThresholdSteps.free(walked) }
                #expect(!walked.pointee.isStepped && walked.pointee.all.count == 100)
            }
        }
    }

    /// Prices against rating-semantics.md read literally, with `ExactDecimal` compares.
    @Test func pricesFollowTheSemanticsWithAndWithoutKeys() async throws {
        await propertyCheck(count: 200, input: Self.seeds, Self.windowGen.array(of: 1...6)) { seeds, windows in
            let (m, t) = Self.rules(seeds)
            let rater = Rater(book: try RuleBook(validating: RuleSet(groups: Self.groups, services: [Self.service],
                                                                    mappings: m, thresholds: t)))
            for p in windows {
                let input = Self.window(p, scope: "other")
                let result = rater.rate(input, explain: false)
                if let expected = Self.reference(m, t, input) {
                    #expect(result.isRated && result.price == expected, "\(result.price) against \(expected)")
                } else {
                    #expect(!result.isRated)
                }
            }
        }
    }

    /// rating-semantics.md for global rules, step by step; nil when the window fails.
    static func reference(_ mappings: [HashMapping], _ thresholds: [HashThreshold], _ input: RatingInput) -> ExactDecimal? {
        struct Acc { var flat = ExactDecimal.zero, rate = ExactDecimal.one, level = ExactDecimal(-1); var kept: (HashThreshold, Bool)? }
        var order: [String?] = [], accs: [String?: Acc] = [:]
        func touch(_ g: String?) { if accs[g] == nil { accs[g] = Acc(); order.append(g) } }
        func apply(_ m: HashMapping) {
            touch(m.group)
            if m.type == .flat { if m.cost > accs[m.group]!.flat { accs[m.group]!.flat = m.cost } }
            else { accs[m.group]!.rate = accs[m.group]!.rate * m.cost }
        }
        func offer(_ t: HashThreshold, onService: Bool) {
            touch(t.group)
            if t.level > accs[t.group]!.level { accs[t.group]!.level = t.level; accs[t.group]!.kept = (t, onService) }
        }
        let q = input.quantity
        for m in mappings where m.field == nil { apply(m) }
        for t in thresholds where t.field == nil && q >= t.level { offer(t, onService: true) }
        for field in fields {
            guard let i = input.description.index(of: field) else { continue }
            let kind = input.description.kind(at: i), text = input.description.text(at: i)
            let str = PythonText.str(kind: kind, text: text)
            for m in mappings where m.field == field && m.value == str { apply(m) }
            let own = thresholds.filter { $0.field == field }
            if own.isEmpty { continue }
            guard let number = MetaNumber.parse(kind: kind, text: text) else { return nil }
            for t in own where number.isAtLeast(t.level) { offer(t, onService: false) }
        }
        var price = ExactDecimal.zero
        for g in order {
            let a = accs[g]!
            var flat = a.flat, rate = a.rate
            if let (t, onService) = a.kept, !onService {
                if t.type == .flat { flat = flat + t.cost } else { rate = rate * t.cost }
            }
            var res = rate * flat * q
            if let (t, onService) = a.kept, onService { res = t.type == .flat ? res + t.cost : res * t.cost }
            price = price + res
        }
        return price
    }
}
