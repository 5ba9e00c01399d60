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
        /// The kept threshold's rule number (ServiceIndex.ruleIDs).
        var thresholdRule: Int32 = -1
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
            var matched: [(group: Int32, rule: Int32)] = []
            func touch(_ g32: Int32) {
                let g = Int(g32)
                if groups[g].touched < 0 { groups[g].touched = touchCount; touchCount += 1 }
            }
            func apply(_ m: CompiledMapping) {
                touch(m.group)
                let g = Int(m.group)
                switch m.type {
                case .flat: if m.cost > groups[g].flat { groups[g].flat = m.cost }
                case .rate: groups[g].rate = groups[g].rate * m.cost
                }
                if explain { matched.append((m.group, m.rule)) }
            }
            func offer(_ t: CompiledThreshold, onService: Bool) {
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

            // 1. Service stage: every service mapping; thresholds with qty >= level.
            for m in index.serviceMappings { apply(m) }
            for t in index.serviceThresholds where input.quantity >= t.level { offer(t, onService: true) }
            // 2. Field stage, fields in declaration order, each present in the description.
            for field in index.fields {
                guard let slot = input.description.index(of: field.name) else { continue }
                let kind = input.description.kinds[slot]
                let text = input.description.texts[slot]
                if field.values.count > 0, let run = field.run(for: PythonText.str(kind: kind, text: text)) {
                    for i in run { apply(field.mappings[i]) }
                }
                if field.thresholds.isEmpty { continue }
                guard let number = MetaNumber.parse(kind: kind, text: text) else {
                    return .failed("field '\(field.name)' of service '\(input.service)' has thresholds but its value "
                                   + "'\(text)' is not a number")
                }
                for t in field.thresholds where number.isAtLeast(t.level) { offer(t, onService: false) }
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

    static func step(_ acc: Accumulator, group g: Int, index: ServiceIndex, matched: [(group: Int32, rule: Int32)],
                     quantity: ExactDecimal, result: ExactDecimal) -> GroupStep {
        var threshold: ThresholdStep?
        if acc.hasThreshold {
            threshold = ThresholdStep(id: index.ruleIDs[Int(acc.thresholdRule)], onService: acc.thresholdOnService,
                                      level: acc.thresholdLevel, type: acc.thresholdType, cost: acc.thresholdCost)
        }
        return GroupStep(group: index.groupNames[g],
                         mappings: matched.filter { $0.group == g }.map { index.ruleIDs[Int($0.rule)] },
                         flat: acc.flat, rate: acc.rate, threshold: threshold, quantity: quantity, result: result)
    }
}
