import TallyCore

/// Prices with a rule book (hashmap, tiers, script, noop by priority), the rule
/// book being fixed for the pricer's life. The rule log (issue 4) replaces the
/// fixed book with the book in effect at each window's start.
public final class RuleBookPricer: WindowPricer {
    public let rater: Rater
    public let ruleBookVersion: Int64?
    public let ruleBookHash: String?
    private let tieredServices: Set<String>

    public init(rater: Rater, version: Int64?, hash: String?) {
        self.rater = rater
        self.ruleBookVersion = version
        self.ruleBookHash = hash
        tieredServices = Set(rater.book.rules.tiers.map(\.service))
    }

    public func price(_ input: RatingInput, metric: MetricDefinition, usage: TierUsageSource?) -> RatingResult {
        rater.rate(input, incomingPrice: .zero, tierUsage: usage)
    }

    public func usesCumulativeUsage(service: String) -> Bool { tieredServices.contains(service) }
}

/// Prices `quantity × price_per_unit` from the metrics file, for running without
/// a rule book; a metric without a price prices to 0.
public final class FlatPricer: WindowPricer {
    public init() {}
    public var ruleBookVersion: Int64? { nil }
    public var ruleBookHash: String? { nil }

    public func usesCumulativeUsage(service: String) -> Bool { false }

    public func price(_ input: RatingInput, metric: MetricDefinition, usage: TierUsageSource?) -> RatingResult {
        let price = metric.pricePerUnit.map { input.quantity * $0 } ?? .zero
        return RatingResult(price: price, status: .rated, explanation: Explanation(modules: []))
    }
}
