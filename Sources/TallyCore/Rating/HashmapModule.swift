/// CloudKitty's hashmap algorithm for one window (rating-semantics.md), over a
/// compiled `ServiceIndex`. Group accumulators live in stack memory; nothing is
/// allocated unless an explanation is asked for.
enum HashmapModule {
    /// A group's accumulator. Trivial (no references) so it can live on the stack.
    struct Accumulator {
        var flat = ExactDecimal.zero
        var rate = ExactDecimal.one
        /// Order in which the group was first touched (−1: never); sums follow it.
        var touched: Int32 = -1
        /// Best threshold so far; CloudKitty starts at level −1 and needs strictly greater.
        var thresholdLevel = ExactDecimal(-1)
        var hasThreshold = false
        var thresholdOnService = false
        var thresholdType = CostType.flat
        var thresholdCost = ExactDecimal.zero
        /// Where the kept threshold is: field slot (−1: service thresholds) and index.
        var thresholdField: Int32 = -1
        var thresholdIndex: Int32 = 0
    }

    enum Outcome {
        case priced(ExactDecimal, [GroupStep]?)
        case failed(String)
    }

    static func rate(_ index: ServiceIndex, input: RatingInput, incoming: ExactDecimal, explain: Bool) -> Outcome {
        let groupCount = index.groupNames.count
        return withUnsafeTemporaryAllocation(of: Accumulator.self, capacity: groupCount) { groups in
            groups.initialize(repeating: Accumulator())
            var touchCount: Int32 = 0
            var matched: [(group: Int, id: String)] = []
            func touch(_ g: Int) {
                if groups[g].touched < 0 { groups[g].touched = touchCount; touchCount += 1 }
            }
            func apply(_ m: CompiledMapping) {
                touch(m.group)
                switch m.type {
                case .flat: if m.cost > groups[m.group].flat { groups[m.group].flat = m.cost }
                case .rate: groups[m.group].rate = groups[m.group].rate * m.cost
                }
                if explain { matched.append((m.group, m.id)) }
            }
            func offer(_ t: CompiledThreshold, onService: Bool, field: Int32, index: Int32) {
                touch(t.group)
                if t.level > groups[t.group].thresholdLevel {
                    groups[t.group].thresholdLevel = t.level
                    groups[t.group].hasThreshold = true
                    groups[t.group].thresholdOnService = onService
                    groups[t.group].thresholdType = t.type
                    groups[t.group].thresholdCost = t.cost
                    groups[t.group].thresholdField = field
                    groups[t.group].thresholdIndex = index
                }
            }

            // 1. Service stage: every service mapping; thresholds with qty >= level.
            for m in index.serviceMappings { apply(m) }
            for (i, t) in index.serviceThresholds.enumerated() where input.quantity >= t.level {
                offer(t, onService: true, field: -1, index: Int32(i))
            }
            // 2. Field stage, fields in declaration order, each present in the description.
            let description = input.description
            for (f, field) in index.fields.enumerated() {
                guard let slot = description.index(of: field.name) else { continue }
                let kind = description.kinds[slot]
                let text = description.texts[slot]
                if !field.mappingsByValue.isEmpty,
                   let hits = field.mappingsByValue[PythonText.str(kind: kind, text: text)] {
                    for m in hits { apply(m) }
                }
                if field.thresholds.isEmpty { continue }
                guard let number = MetaNumber.parse(kind: kind, text: text) else {
                    return .failed("field '\(field.name)' of service '\(input.service)' has thresholds but its value "
                                   + "'\(text)' is not a number")
                }
                for (i, t) in field.thresholds.enumerated() where number.isAtLeast(t.level) {
                    offer(t, onService: false, field: Int32(f), index: Int32(i))
                }
            }
            // 3–4. Price per group, in first-touch order, added to the incoming price.
            var price = incoming
            var steps: [GroupStep] = []
            if explain { steps.reserveCapacity(Int(touchCount)) }
            for order in 0..<touchCount {
                guard let g = (0..<groupCount).first(where: { groups[$0].touched == order }) else { continue }
                let acc = groups[g]
                let result = groupResult(acc, quantity: input.quantity)
                price = price + result
                if explain {
                    steps.append(step(acc, group: g, index: index, matched: matched, quantity: input.quantity, result: result))
                }
            }
            return .priced(price, explain ? steps : nil)
        }
    }

    /// Step 4 of the algorithm, in CloudKitty's operation order.
    static func groupResult(_ acc: Accumulator, quantity: ExactDecimal) -> ExactDecimal {
        var flat = acc.flat
        var rate = acc.rate
        if acc.hasThreshold && !acc.thresholdOnService {
            switch acc.thresholdType {
            case .flat: flat = flat + acc.thresholdCost
            case .rate: rate = rate * acc.thresholdCost
            }
        }
        var result = rate * flat * quantity
        if acc.hasThreshold && acc.thresholdOnService {
            switch acc.thresholdType {
            case .flat: result = result + acc.thresholdCost
            case .rate: result = result * acc.thresholdCost
            }
        }
        return result
    }

    static func step(_ acc: Accumulator, group g: Int, index: ServiceIndex, matched: [(group: Int, id: String)],
                     quantity: ExactDecimal, result: ExactDecimal) -> GroupStep {
        var threshold: ThresholdStep?
        if acc.hasThreshold {
            let t = acc.thresholdField < 0 ? index.serviceThresholds[Int(acc.thresholdIndex)]
                : index.fields[Int(acc.thresholdField)].thresholds[Int(acc.thresholdIndex)]
            threshold = ThresholdStep(id: t.id, onService: acc.thresholdOnService, level: t.level, type: t.type, cost: t.cost)
        }
        return GroupStep(group: index.groupNames[g], mappings: matched.filter { $0.group == g }.map(\.id),
                         flat: acc.flat, rate: acc.rate, threshold: threshold, quantity: quantity, result: result)
    }
}
