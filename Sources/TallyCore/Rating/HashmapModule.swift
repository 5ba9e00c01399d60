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

    /// Prices one window's (quantity, description) of `service`. The caller passes the
    /// pieces, not the `RatingInput`: taking the whole input copied it (a retain per member
    /// and a 160-byte move) for every window.
    /// `spareTrace`: where the caller keeps its last trace for reuse (`HashmapTrace.make`).
    /// `front`: the scope table's copy of the index's `Front` (nil: the lookup's own).
    static func rate(_ index: UnsafePointer<ServiceIndex.Lookup>, front: UnsafePointer<ServiceIndex.Front>? = nil, quantity: ExactDecimal, description: borrowing RatingDescription,
                     service: borrowing String, incoming: ExactDecimal, explain: Bool,
                     spareTrace: UnsafeMutablePointer<HashmapTrace?>? = nil) -> Outcome {
        let front = front ?? ServiceIndex.Lookup.front(index)
        let outcome: Outcome? = withRun(index, front, description, explain: explain, spareTrace: spareTrace) { run, entries, bytes in
            run.serviceStage(quantity: quantity)
            if run.fieldStage(entries, bytes: bytes) != nil { return nil }
            return run.price(quantity: quantity, incoming: incoming)
        }
        if let outcome { return outcome }
        // Rare: find the failing field again, now building its message.
        let failure = withRun(index, front, description, explain: false) { run, entries, bytes in
            run.fieldStage(entries, bytes: bytes)
        }
        guard let failure else { preconditionFailure("hashmap failure not reproduced") }
        return .failed("field '\(failure.field)' of service '\(service)' has thresholds "
            + "but its value '\(failure.value)' is not a number")
    }

    /// Runs `body` on a fresh `HashmapRun` whose scratch memory is on the stack.
    @inline(__always)
    private static func withRun<R>(_ index: UnsafePointer<ServiceIndex.Lookup>, _ front: UnsafePointer<ServiceIndex.Front>,
                                   _ description: borrowing RatingDescription, explain: Bool,
                                   spareTrace: UnsafeMutablePointer<HashmapTrace?>? = nil,
                                   _ body: (inout HashmapRun, UnsafeBufferPointer<RatingDescription.Entry>, UnsafeRawBufferPointer) -> R) -> R {
        let groupCount = Int(front.pointee.groupCount)
        // Each field's value run and the service mappings hold at most one mapping per group.
        let matchedCapacity = explain ? groupCount * (front.pointee.matching.unsafelyUnwrapped.pointee.fields.count + 1) : 0
        return description.entries.withUnsafeBufferPointer { entries in
            description.bytes.withUnsafeBytes { bytes in
                withUnsafeTemporaryAllocation(of: Accumulator.self, capacity: groupCount) { groups in
                    withUnsafeTemporaryAllocation(of: Int32.self, capacity: groupCount + 2 * matchedCapacity) { scratch in
                        // The service mappings' effect, the same for every window (`ServiceStart`).
                        let start = front.pointee.serviceStart.unsafelyUnwrapped
                        if groupCount > 0 { groups.baseAddress!.initialize(from: start.pointee.groups, count: groupCount) }
                        var run = HashmapRun(index: index, front: front, groups: groups, scratch: scratch, groupCount: groupCount, explain: explain,
                                             spareTrace: spareTrace)
                        run.begin(at: start)
                        return body(&run, entries, bytes)
                    }
                }
            }
        }
    }

    /// A group's accumulator. Trivial (no references) so it can live on the stack. The
    /// kept flat mapping and threshold are pointers into the index's tables (valid for the
    /// run): the accumulator stays small, and a compare reads the rule's `OrderKey`.
    struct Accumulator {
        /// The applied flat mapping with the greatest cost; nil: flat is still 0.
        var flatMapping: UnsafePointer<CompiledMapping>? = nil
        var rate = ExactDecimal.one
        /// Best threshold so far; CloudKitty starts at level −1 and needs strictly greater.
        var threshold: UnsafePointer<CompiledThreshold>? = nil
        var thresholdOnService = false
        /// Whether the group was touched; `HashmapRun` lists touched groups in order.
        var touched = false

        var flat: ExactDecimal { flatMapping?.pointee.cost ?? .zero }
        var flatKey: Int128 { flatMapping?.pointee.costKey ?? 0 }
        var thresholdLevel: ExactDecimal { threshold?.pointee.level ?? ExactDecimal(-1) }
        var thresholdLevelKey: Int128 { threshold?.pointee.levelKey ?? OrderKey.minusOne }
    }

    /// Step 4 of the algorithm, in CloudKitty's operation order: in machine words when
    /// every operand and intermediate fits one (the usual prices), else with `ExactDecimal`.
    /// Both give the same coefficient and exponent (`DecimalWord`).
    @inline(__always)
    static func groupResult(_ acc: Accumulator, quantity: ExactDecimal) -> ExactDecimal {
        if let q = DecimalWord(quantity), let result = wordResult(acc, quantity: q) { return result.exact }
        return generalResult(acc, quantity: quantity)
    }

    /// `groupResult` in words; nil when a value or step does not fit one.
    @inline(__always)
    static func wordResult(_ acc: Accumulator, quantity: DecimalWord) -> DecimalWord? {
        guard var flat = DecimalWord(acc.flat), var rate = DecimalWord(acc.rate) else { return nil }
        guard let t = acc.threshold?.pointee else {
            guard let product = rate * flat else { return nil }
            return product * quantity
        }
        guard let cost = DecimalWord(t.cost) else { return nil }
        if !acc.thresholdOnService {
            switch t.type {
            case .flat: guard let f = flat + cost else { return nil }; flat = f
            case .rate: guard let r = rate * cost else { return nil }; rate = r
            }
            guard let product = rate * flat else { return nil }
            return product * quantity
        }
        guard let product = rate * flat, let result = product * quantity else { return nil }
        switch t.type {
        case .flat: return result + cost
        case .rate: return result * cost
        }
    }

    /// `groupResult` with `ExactDecimal` (the reference the word path must equal).
    static func generalResult(_ acc: Accumulator, quantity: ExactDecimal) -> ExactDecimal {
        var flat = acc.flat
        var rate = acc.rate
        guard let t = acc.threshold?.pointee else { return rate * flat * quantity }
        if !acc.thresholdOnService {
            switch t.type {
            case .flat: flat = flat + t.cost
            case .rate: rate = rate * t.cost
            }
            return rate * flat * quantity
        }
        let result = rate * flat * quantity
        switch t.type {
        case .flat: return result + t.cost
        case .rate: return result * t.cost
        }
    }
}
