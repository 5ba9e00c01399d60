import TallyCore
import TallyThreads

/// Rating throughput on one core: windows/s for a 100-rule hashmap book and for a tiered
/// book, and decimal ops/s. Called by the bench executable's main (owned elsewhere).
func runRatingBench() {
    let book = RatingBenchBooks.hashmap100()
    let windows = RatingBenchBooks.windows(count: 4096)
    let rater = Rater(book: book)
    var failures = 0
    for w in windows where !rater.rate(w).isRated { failures += 1 }
    precondition(failures == 0, "bench book fails windows")

    var held = windows
    report("hashmap, 100 rules, explained", count: 2_000_000) { n in
        var sink = ExactDecimal.zero
        held.withUnsafeMutableBufferPointer { w in
            for i in 0..<n { sink = sink + price(rater, &w[i & 4095], explain: true) }
        }
        return sink
    }
    report("hashmap, 100 rules, price only", count: 4_000_000) { n in
        var sink = ExactDecimal.zero
        held.withUnsafeMutableBufferPointer { w in
            for i in 0..<n { sink = sink + price(rater, &w[i & 4095], explain: false) }
        }
        return sink
    }
    runTenantScaleBench(priceOnlyBaseline: windows, rater: rater)
    let tiered = Rater(book: RatingBenchBooks.tiered())
    let usage = RatingBenchBooks.ConstantUsage()
    report("tiers, graduated 4 bands", count: 2_000_000) { n in
        var sink = ExactDecimal.zero
        for i in 0..<n { sink = sink + tiered.rate(windows[i & 4095], tierUsage: usage, explain: false).price }
        return sink
    }
    let xs = (0..<1024).map { ExactDecimal(coefficient: Int128($0 * 7919 + 13), exponent: -3) }
    let ys = (0..<1024).map { ExactDecimal(coefficient: Int128($0 * 104_729 + 1), exponent: -4) }
    report("decimal multiply (exact fast path)", count: 20_000_000) { n in
        var sink = ExactDecimal.zero
        for i in 0..<n { sink = xs[i & 1023] * ys[(i >> 10) & 1023] }
        return sink
    }
    report("decimal add (mixed exponents)", count: 20_000_000) { n in
        var sink = ExactDecimal.zero
        for i in 0..<n { sink = xs[i & 1023] + ys[(i >> 10) & 1023] }
        return sink
    }
    let third = ExactDecimal(1).divided(by: ExactDecimal(3))
    report("decimal multiply (28-digit rounding)", count: 5_000_000) { n in
        var sink = ExactDecimal.zero
        for i in 0..<n { sink = third * ys[i & 1023] + sink }
        return sink
    }
    report("decimal divide", count: 2_000_000) { n in
        var sink = ExactDecimal.zero
        for i in 0..<n { sink = xs[i & 1023].divided(by: ys[(i >> 10) & 1023]) }
        return sink
    }
}

/// A book of 10,000 tenants × 10 mappings over the 100-rule book: validating it, compiling
/// every tenant's rules (the first window of each tenant), then pricing windows spread
/// over all tenants, which should cost what the 16-scope book costs. The same price-only
/// loop over 100 and 1,000 tenants first shows whether the price depends on the count.
private func runTenantScaleBench(priceOnlyBaseline windows: [RatingInput], rater: Rater) {
    func cpuMillis(_ body: () -> Void) -> Double {
        let started = threadCPUNanos()
        body()
        return Double(threadCPUNanos() - started) / 1e6
    }
    for tenants in [100, 1_000, 10_000] {
        var book: RuleBook!
        let validating = cpuMillis { book = RatingBenchBooks.tenantBook(tenants: tenants) }
        var spread = RatingBenchBooks.windows(count: 4096).enumerated().map { i, w -> RatingInput in
            var w = w
            w.scope = "acct-\((i &* 7919) % tenants)"
            return w
        }
        var tenantRater: Rater!
        var firstWindows = spread[0]
        let compiling = cpuMillis {
            tenantRater = Rater(book: book)
            for t in 0..<tenants {
                firstWindows.scope = "acct-\(t)"
                precondition(tenantRater.rate(firstWindows, explain: false).isRated)
            }
        }
        if tenants == 10_000 {
            print("hashmap, \(tenants) tenants × 10 mappings: book built and validated in \(Int(validating)) ms CPU; "
                  + "every tenant compiled in \(Int(compiling)) ms CPU")
        }
        report("hashmap, \(tenants.formattedThousands) tenants × 10 mappings, price only", count: tenants == 10_000 ? 2_000_000 : 1_000_000) { n in
            var sink = ExactDecimal.zero
            spread.withUnsafeMutableBufferPointer { w in
                for i in 0..<n { sink = sink + price(tenantRater, &w[i & 4095], explain: false) }
            }
            return sink
        }
    }
}

/// One window's price, the window lent by address as the engine lends its local input.
/// Any read of a window out of an array or a pointer (`w[i]`, `.pointee`), even into a
/// `borrowing` parameter, copied it in the caller (a 160-byte move and a retain per
/// member, ~70 ns): that is the bench's cost, not pricing's, so the loops pass `&w[i]`.
@inline(never)
func price(_ rater: Rater, _ window: inout RatingInput, explain: Bool) -> ExactDecimal {
    rater.rate(window, explain: explain).price
}

private func report(_ name: String, count: Int, _ body: (Int) -> ExactDecimal) {
    // Thread CPU time, not wall time: see `timed`.
    let started = threadCPUNanos()
    let sink = body(count)
    let seconds = Double(threadCPUNanos() - started) / 1e9
    let perSecond = Double(count) / seconds
    let ns = seconds * 1e9 / Double(count)
    print("\(name): \(Int(perSecond).formattedThousands)/s (\(Int(ns.rounded())) ns CPU each) [check \(sink.canonicalText.prefix(12))]")
}

private extension Int {
    var formattedThousands: String {
        let digits = Array(String(self))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return out
    }
}

enum RatingBenchBooks {
    static let flavors = (0..<40).map { "m1.flavor\($0)" }
    static let images = (0..<30).map { "image-\($0)-0000-0000" }
    static let regions = (0..<10).map { "region-\($0)" }

    /// 100 rules: 3 service mappings, 40 flavor + 30 image + 10 region mappings,
    /// 5 service thresholds, 5 memory thresholds, 7 tenant overrides.
    static func hashmap100() -> RuleBook {
        func d(_ s: String) -> ExactDecimal { ExactDecimal(s)! }
        var m: [HashMapping] = []
        for (i, g) in ["base", "flavor", "extras"].enumerated() {
            m.append(HashMapping(id: "svc-\(g)", service: "compute", type: .flat, cost: d("0.00\(i + 1)"), group: g))
        }
        for (i, f) in flavors.enumerated() {
            m.append(HashMapping(id: "fl-\(i)", service: "compute", field: "flavor", value: f, type: .flat,
                                 cost: ExactDecimal(coefficient: Int128(i * 37 + 5), exponent: -3), group: "flavor"))
        }
        for (i, im) in images.enumerated() {
            m.append(HashMapping(id: "im-\(i)", service: "compute", field: "image_id", value: im, type: .rate,
                                 cost: ExactDecimal(coefficient: Int128(100 + i), exponent: -2), group: "flavor"))
        }
        for (i, r) in regions.enumerated() {
            m.append(HashMapping(id: "rg-\(i)", service: "compute", field: "region", value: r, type: .flat,
                                 cost: ExactDecimal(coefficient: Int128(i + 1), exponent: -4), group: "extras"))
        }
        for i in 0..<7 {
            m.append(HashMapping(id: "tenant-\(i)", service: "compute", field: "flavor", value: flavors[i], type: .flat,
                                 cost: d("0.5"), group: "flavor", tenant: "tenant-\(i)"))
        }
        var t: [HashThreshold] = []
        for i in 0..<5 {
            t.append(HashThreshold(id: "qty-\(i)", service: "compute", level: ExactDecimal(i * 10), type: .rate,
                                   cost: ExactDecimal(coefficient: Int128(100 - i), exponent: -2), group: "base"))
            t.append(HashThreshold(id: "mem-\(i)", service: "compute", field: "memory", level: ExactDecimal(1 << (9 + i)),
                                   type: .flat, cost: ExactDecimal(coefficient: Int128(i + 1), exponent: -3), group: "extras"))
        }
        let service = ServiceDeclaration(name: "compute", fields: ["flavor", "image_id", "region", "memory"])
        return try! RuleBook(validating: RuleSet(groups: ["base", "flavor", "extras"], services: [service],
                                                 mappings: m, thresholds: t))
    }

    /// The 100-rule book plus, for each of `tenants` tenants, its own price for 10 flavors.
    static func tenantBook(tenants: Int) -> RuleBook {
        var rules = hashmap100().rules
        rules.mappings.reserveCapacity(rules.mappings.count + tenants * 10)
        for t in 0..<tenants {
            for k in 0..<10 {
                rules.mappings.append(HashMapping(id: "acct-\(t)-\(k)", service: "compute", field: "flavor", value: flavors[k],
                                                  type: .flat, cost: ExactDecimal(coefficient: Int128(t % 97 + k), exponent: -3),
                                                  group: "flavor", tenant: "acct-\(t)"))
            }
        }
        return try! RuleBook(validating: rules)
    }

    static func tiered() -> RuleBook {
        let schedule = TierSchedule(mode: .graduated, tiers: [
            .init(upTo: ExactDecimal(100), unitPrice: ExactDecimal(coefficient: 12, exponent: -2)),
            .init(upTo: ExactDecimal(1000), unitPrice: ExactDecimal(coefficient: 9, exponent: -2)),
            .init(upTo: ExactDecimal(10000), unitPrice: ExactDecimal(coefficient: 5, exponent: -2)),
            .init(upTo: nil, unitPrice: ExactDecimal(coefficient: 2, exponent: -2)),
        ], freeAllowance: ExactDecimal(10), minimumCharge: ExactDecimal(1))
        return try! RuleBook(validating: RuleSet(tiers: [TierRule(id: "compute-tiers", service: "compute", schedule: schedule)]))
    }

    struct ConstantUsage: TierUsageSource {
        func priorUsage(scope: String, service: String, cycleStart: EventTime, before windowStart: EventTime) -> TierPriorUsage {
            TierPriorUsage(quantity: ExactDecimal(950), windows: 12)
        }
    }

    /// Windows over 16 scopes (7 with tenant rules), varied metadata, as an engine builds them.
    static func windows(count: Int) -> [RatingInput] {
        var result: [RatingInput] = []
        result.reserveCapacity(count)
        let start = EventTime(micros: 1_767_225_600_000_000)
        let end = EventTime(micros: 1_767_229_200_000_000)
        for i in 0..<count {
            let flavor: String = flavors[i % 40]
            let memory: String = String(256 << (i % 7))
            let entries: [(name: String, kind: MetaKind, text: String)] = [
                ("flavor", .string, flavor),
                ("image_id", .string, images[(i / 3) % 30]),
                ("region", .string, regions[(i / 7) % 10]),
                ("memory", .int, memory),
                ("project_id", .string, "tenant-\(i % 16)"),
            ]
            let quantity = ExactDecimal(coefficient: Int128(i % 97 + 1), exponent: -1)
            result.append(RatingInput(service: "compute", scope: "tenant-\(i % 16)", resource: "vm-\(i)",
                                      quantity: quantity, unit: "instance", windowStart: start, windowEnd: end,
                                      description: RatingDescription(entries)))
        }
        return result
    }
}
