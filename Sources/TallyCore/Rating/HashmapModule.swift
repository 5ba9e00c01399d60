/// CloudKitty's hashmap algorithm for one window (rating-semantics.md), over a
/// compiled `ServiceIndex`. Group accumulators live in stack memory and all matching
/// state is in one local `HashmapRun`, so the hot path neither allocates nor needs
/// dynamic exclusivity checks; only an explanation allocates.
enum HashmapModule {
    enum Outcome {
        case priced(ExactDecimal, [GroupStep]?)
        case failed(String)
    }

    static func rate(_ index: ServiceIndex, input: RatingInput, incoming: ExactDecimal, explain: Bool) -> Outcome {
        withUnsafeTemporaryAllocation(of: Accumulator.self, capacity: index.groupCount) { groups in
            groups.initialize(repeating: Accumulator())
            return input.description.bytes.withUnsafeBytes { bytes in
                var run = HashmapRun(index: index, groups: groups, explain: explain)
                run.serviceStage(quantity: input.quantity)
                if let failure = run.fieldStage(input.description.entries, bytes: bytes, service: input.service) {
                    return .failed(failure)
                }
                return run.price(quantity: input.quantity, incoming: incoming)
            }
        }
    }

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
        /// The kept threshold's rule number (`ServiceIndex.ruleID`).
        var thresholdRule: Int32 = -1
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
}
