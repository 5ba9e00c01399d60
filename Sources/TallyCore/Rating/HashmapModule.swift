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
        // Only the pieces matching reads, borrowed: copying the whole input would retain
        // its seven strings and arrays for every window.
        let quantity = input.quantity
        let failure: HashmapRun.Failure?
        let outcome: Outcome? = input.description.entries.withUnsafeBufferPointer { entries in
            input.description.bytes.withUnsafeBytes { bytes in
                withUnsafeTemporaryAllocation(of: Accumulator.self, capacity: index.groupCount) { groups -> Outcome? in
                    groups.initialize(repeating: Accumulator())
                    var run = HashmapRun(index: index, groups: groups, explain: explain)
                    run.serviceStage(quantity: quantity)
                    if run.fieldStage(entries, bytes: bytes) != nil { return nil }
                    return run.price(quantity: quantity, incoming: incoming)
                }
            }
        }
        if let outcome { return outcome }
        // Rare: find the failing field again, now building its message.
        failure = input.description.entries.withUnsafeBufferPointer { entries in
            input.description.bytes.withUnsafeBytes { bytes in
                withUnsafeTemporaryAllocation(of: Accumulator.self, capacity: index.groupCount) { groups -> HashmapRun.Failure? in
                    groups.initialize(repeating: Accumulator())
                    var run = HashmapRun(index: index, groups: groups, explain: false)
                    return run.fieldStage(entries, bytes: bytes)
                }
            }
        }
        guard let failure else { preconditionFailure("hashmap failure not reproduced") }
        return .failed("field '\(failure.field)' of service '\(input.service)' has thresholds "
            + "but its value '\(failure.value)' is not a number")
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
