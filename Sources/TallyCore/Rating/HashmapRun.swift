/// The matching state of one hashmap window: steps 1–4 of rating-semantics.md.
struct HashmapRun {
    /// A field holding thresholds whose value is not a number.
    struct Failure { var field: String; var value: String }

    /// Unowned: the caller holds the index for the whole run (no retain per window).
    /// Matching reads `tables` (trivial); the object is read only for explanations.
    unowned(unsafe) let index: ServiceIndex
    let tables: ServiceIndex.Lookup
    let groups: UnsafeMutableBufferPointer<HashmapModule.Accumulator>
    let explain: Bool
    var touchCount: Int32 = 0
    /// (group, rule) of each applied mapping, kept only for explanations.
    var matched: [(group: Int32, rule: Int32)] = []

    init(index: ServiceIndex, groups: UnsafeMutableBufferPointer<HashmapModule.Accumulator>, explain: Bool) {
        self.index = index; self.tables = index.lookup; self.groups = groups; self.explain = explain
        if explain { matched.reserveCapacity(8) }
    }

    @inline(__always) mutating func touch(_ group: Int32) {
        let g = Int(group)
        if groups[g].touched < 0 { groups[g].touched = touchCount; touchCount += 1 }
    }

    /// A matching mapping: flat keeps the strictly greater cost, rate multiplies.
    @inline(__always) mutating func apply(_ m: CompiledMapping) {
        touch(m.group)
        let g = Int(m.group)
        switch m.type {
        case .flat: if m.cost > groups[g].flat { groups[g].flat = m.cost }
        case .rate: groups[g].rate = groups[g].rate * m.cost
        }
        if explain { matched.append((m.group, m.rule)) }
    }

    /// A threshold candidate: kept only at a strictly higher level than the group's.
    @inline(__always) mutating func offer(_ t: CompiledThreshold, onService: Bool) {
        touch(t.group)
        let g = Int(t.group)
        if t.level > groups[g].thresholdLevel {
            groups[g].thresholdLevel = t.level
            groups[g].hasThreshold = true
            groups[g].thresholdOnService = onService
            groups[g].thresholdType = t.type
            groups[g].thresholdCost = t.cost
            groups[g].thresholdRule = t.rule
        }
    }

    /// 1. Every service mapping; service thresholds with qty >= level.
    mutating func serviceStage(quantity: ExactDecimal) {
        for m in tables.own.serviceMappings { apply(m) }
        for t in tables.own.serviceThresholds where quantity >= t.level { offer(t, onService: true) }
    }

    /// 2. Fields in declaration order, each present in the description. Returns the
    /// failure reason when a field with thresholds holds a non-number.
    mutating func fieldStage(_ entries: UnsafeBufferPointer<RatingDescription.Entry>, bytes: UnsafeRawBufferPointer) -> Failure? {
        for field in tables.own.fields {
            guard let slot = RatingDescription.find(tables.own.bytes(field.name), in: bytes, entries) else { continue }
            let entry = entries[slot]
            let value = UnsafeRawBufferPointer(rebasing: bytes[Int(entry.valueStart)..<Int(entry.valueEnd)])
            if field.hasMappings,
               let run = PythonText.withStr(kind: entry.kind, value: value, { tables.run(field, value: $0) }) {
                for m in run { apply(m) }
            }
            if field.thresholds.isEmpty { continue }
            guard let number = MetaNumber.parse(kind: entry.kind, bytes: value) else {
                return Failure(field: index.fieldNames[Int(field.number)], value: String(decoding: value, as: UTF8.self))
            }
            for t in field.thresholds where number.isAtLeast(t.level) { offer(t, onService: false) }
        }
        return nil
    }

    /// 3–4. Each group's result, summed onto the incoming price in first-touch order.
    func price(quantity: ExactDecimal, incoming: ExactDecimal) -> HashmapModule.Outcome {
        var price = incoming
        var steps: [GroupStep] = []
        if explain { steps.reserveCapacity(Int(touchCount)) }
        for order in 0..<touchCount {
            guard let g = groups.indices.first(where: { groups[$0].touched == order }) else { continue }
            let acc = groups[g]
            let result = HashmapModule.groupResult(acc, quantity: quantity)
            price = price + result
            if explain { steps.append(step(acc, group: g, quantity: quantity, result: result)) }
        }
        return .priced(price, explain ? steps : nil)
    }

    func step(_ acc: HashmapModule.Accumulator, group g: Int, quantity: ExactDecimal, result: ExactDecimal) -> GroupStep {
        var threshold: ThresholdStep?
        if acc.hasThreshold {
            threshold = ThresholdStep(id: index.ruleID(Int(acc.thresholdRule)), onService: acc.thresholdOnService,
                                      level: acc.thresholdLevel, type: acc.thresholdType, cost: acc.thresholdCost)
        }
        var ids: [String] = []
        for m in matched where m.group == g { ids.append(index.ruleID(Int(m.rule))) }
        return GroupStep(group: index.groupName(g), mappings: ids,
                         flat: acc.flat, rate: acc.rate, threshold: threshold, quantity: quantity, result: result)
    }
}
