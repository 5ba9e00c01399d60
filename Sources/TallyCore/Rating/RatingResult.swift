/// The outcome of pricing one window.
public struct RatingResult: Sendable {
    public enum Status: Sendable, Hashable {
        case rated
        /// A module failed: the price is not meaningful and must not be billed as zero.
        case failed(reason: String)
    }

    public var price: ExactDecimal
    public var status: Status
    public var explanation: Explanation

    public init(price: ExactDecimal, status: Status, explanation: Explanation) {
        self.price = price; self.status = status; self.explanation = explanation
    }

    public var isRated: Bool { status == .rated }
}

/// How a price came about, module by module, as data (encode with `canonicalJSON`).
///
/// A window that only the hashmap module priced keeps the module's trace (trivial records
/// and the compiled index that names them: one allocation) instead of `ModuleStep`s;
/// `modules` builds the steps from it when read, and `write(to:)` encodes it to bytes
/// without them. Equality and hashing are on `modules`, whichever form is held.
public struct Explanation: Sendable, Hashable {
    enum Storage: @unchecked Sendable {
        case steps([ModuleStep])
        case hashmap(HashmapTrace)  // immutable once built
    }
    var storage: Storage

    public init(modules: [ModuleStep] = []) { storage = .steps(modules) }
    init(hashmap trace: HashmapTrace) { storage = .hashmap(trace) }

    public var modules: [ModuleStep] {
        get {
            switch storage {
            case .steps(let steps): return steps
            case .hashmap(let trace): return [trace.moduleStep]
            }
        }
        set { storage = .steps(newValue) }
    }

    public static func == (a: Explanation, b: Explanation) -> Bool { a.modules == b.modules }
    public func hash(into hasher: inout Hasher) { hasher.combine(modules) }
}

/// One module's contribution.
public struct ModuleStep: Sendable, Hashable {
    public var module: RatingModuleKind
    public var priceBefore: ExactDecimal
    public var priceAfter: ExactDecimal
    public var detail: Detail

    public enum Detail: Sendable, Hashable {
        case hashmap([GroupStep])
        case tiers(TierStep?)
        case script([String])
        case noop
        case failed(String)
    }

    public init(module: RatingModuleKind, priceBefore: ExactDecimal, priceAfter: ExactDecimal, detail: Detail) {
        self.module = module; self.priceBefore = priceBefore; self.priceAfter = priceAfter; self.detail = detail
    }
}

/// A hashmap group's accumulator after matching, and its result.
public struct GroupStep: Sendable, Hashable {
    /// nil for the implicit default group.
    public var group: String?
    /// Ids of the mappings that matched, in the order they were applied.
    public var mappings: [String]
    /// flat and rate after the mappings (before any threshold).
    public var flat: ExactDecimal
    public var rate: ExactDecimal
    public var threshold: ThresholdStep?
    public var quantity: ExactDecimal
    public var result: ExactDecimal
}

/// The threshold a group kept.
public struct ThresholdStep: Sendable, Hashable {
    public var id: String
    /// "service" (adjusts after quantity) or "field" (before).
    public var onService: Bool
    public var level: ExactDecimal
    public var type: CostType
    public var cost: ExactDecimal
}

/// The tier schedule used for a window.
public struct TierStep: Sendable, Hashable {
    public var id: String
    public var cycleStart: EventTime
    public var priorQuantity: ExactDecimal
    public var priorWindows: Int
    public var quantity: ExactDecimal
    public var cumulativeBefore: ExactDecimal
    public var cumulativeAfter: ExactDecimal
}
