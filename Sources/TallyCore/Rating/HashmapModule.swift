/// CloudKitty's hashmap algorithm for one window (rating-semantics.md), over a
/// compiled `ServiceIndex`. Group accumulators, the touch order and the applied mappings
/// live in stack memory and all matching state is in one local `HashmapRun`, so the hot
/// path neither allocates nor needs dynamic exclusivity checks; only an explanation
/// allocates (one `HashmapTrace`).
enum HashmapModule {
    enum Outcome {
        case priced(ExactDecimal, HashmapTrace?)
        case failed(String)
    }

    static func rate(_ index: ServiceIndex, input: borrowing RatingInput, incoming: ExactDecimal, explain: Bool) -> Outcome {
        // Only the pieces matching reads, borrowed: copying the whole input would retain
        // its seven strings and arrays for every window.
        let quantity = input.quantity
        let outcome: Outcome? = withRun(index, input.description, explain: explain) { run, entries, bytes in
            run.serviceStage(quantity: quantity)
            if run.fieldStage(entries, bytes: bytes) != nil { return nil }
            return run.price(quantity: quantity, incoming: incoming)
        }
        if let outcome { return outcome }
        // Rare: find the failing field again, now building its message.
        let failure = withRun(index, input.description, explain: false) { run, entries, bytes in
            run.fieldStage(entries, bytes: bytes)
        }
        guard let failure else { preconditionFailure("hashmap failure not reproduced") }
        return .failed("field '\(failure.field)' of service '\(input.service)' has thresholds "
            + "but its value '\(failure.value)' is not a number")
    }

    /// Runs `body` on a fresh `HashmapRun` whose scratch memory is on the stack.
    @inline(__always)
    private static func withRun<R>(_ index: ServiceIndex, _ description: RatingDescription, explain: Bool,
                                   _ body: (inout HashmapRun, UnsafeBufferPointer<RatingDescription.Entry>, UnsafeRawBufferPointer) -> R) -> R {
        let groupCount = index.groupCount
        // Each field's value run and the service mappings hold at most one mapping per group.
        let matchedCapacity = explain ? groupCount * (index.fields.count + 1) : 0
        return description.entries.withUnsafeBufferPointer { entries in
            description.bytes.withUnsafeBytes { bytes in
                withUnsafeTemporaryAllocation(of: Accumulator.self, capacity: groupCount) { groups in
                    withUnsafeTemporaryAllocation(of: Int32.self, capacity: groupCount + 2 * matchedCapacity) { scratch in
                        groups.initialize(repeating: Accumulator())
                        var run = HashmapRun(index: index, groups: groups, scratch: scratch, groupCount: groupCount, explain: explain)
                        return body(&run, entries, bytes)
                    }
                }
            }
        }
    }

    /// A group's accumulator. Trivial (no references) so it can live on the stack.
    struct Accumulator {
        var flat = ExactDecimal.zero
        var rate = ExactDecimal.one
        /// Whether the group was touched; `HashmapRun.order` lists touched groups in order.
        var touched = false
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
    @inline(__always)
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
