/// The description of a window as rating sees it: the metadata overlaid by the groupby
/// values (groupby wins on a clash), as parallel arrays so the engine can build it once
/// per closed window without a dictionary. Names are unique.
public struct RatingDescription: Sendable, Hashable {
    public private(set) var names: [String]
    public private(set) var kinds: [MetaKind]
    public private(set) var texts: [String]

    public init() { names = []; kinds = []; texts = [] }

    /// From (name, kind, text) triples; a later entry with an existing name replaces it,
    /// so pass metadata first and groupby values after.
    public init(_ entries: [(name: String, kind: MetaKind, text: String)]) {
        self.init()
        names.reserveCapacity(entries.count)
        for e in entries { set(e.name, kind: e.kind, text: e.text) }
    }

    /// Convenience for tests and quotes: JSON-like values given as strings are `.string`.
    public init(strings: [String: String]) {
        self.init(strings.sorted { $0.key < $1.key }.map { ($0.key, MetaKind.string, $0.value) })
    }

    public mutating func set(_ name: String, kind: MetaKind, text: String) {
        if let i = names.firstIndex(of: name) {
            kinds[i] = kind; texts[i] = text
        } else {
            names.append(name); kinds.append(kind); texts.append(text)
        }
    }

    /// The slot of `name`, if present (absent-kind values count as missing).
    @inlinable public func index(of name: String) -> Int? {
        for i in names.indices where names[i] == name { return kinds[i] == .absent ? nil : i }
        return nil
    }
}

/// One closed window to price.
public struct RatingInput: Sendable {
    /// The service name: the metric's `alt_name`, else its key.
    public var service: String
    /// The billed party being rated (tenant rules follow it, not the point's project).
    public var scope: String
    public var user: String?
    public var resource: String
    public var quantity: ExactDecimal
    public var unit: String
    public var windowStart: EventTime
    public var windowEnd: EventTime
    public var description: RatingDescription

    public init(service: String, scope: String, user: String? = nil, resource: String, quantity: ExactDecimal,
                unit: String, windowStart: EventTime, windowEnd: EventTime, description: RatingDescription) {
        self.service = service; self.scope = scope; self.user = user; self.resource = resource
        self.quantity = quantity; self.unit = unit; self.windowStart = windowStart; self.windowEnd = windowEnd
        self.description = description
    }
}

/// Usage of the earlier windows of a tier cycle, supplied by whoever keeps window state.
public struct TierPriorUsage: Sendable, Hashable {
    public var quantity: ExactDecimal
    public var windows: Int
    public init(quantity: ExactDecimal, windows: Int) { self.quantity = quantity; self.windows = windows }
    public static let none = TierPriorUsage(quantity: .zero, windows: 0)
}

/// The engine's view of cycle state for the tiers module: the summed quantity and the
/// count of the (scope, service) windows with `cycleStart <= start < windowStart`.
public protocol TierUsageSource {
    func priorUsage(scope: String, service: String, cycleStart: EventTime, before windowStart: EventTime) -> TierPriorUsage
}

/// Runs script rules (implemented by TallyScript). Must be deterministic: the same
/// source, input and price always give the same result.
public protocol ScriptEvaluator {
    /// The new price of the window; throws to mark the window rating-failed.
    func evaluate(script: ScriptRule, input: RatingInput, currentPrice: ExactDecimal) throws -> ExactDecimal
}
