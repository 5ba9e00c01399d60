import TallyCore
import TallyWire

/// Prices with the rule log (`tally.rules`): each window with the rule book in effect
/// at the window's start, as known after every event folded so far. Follow the log with
/// `apply(eventBytes:offset:)` between batches; a change takes effect for the windows
/// closed after it, without a restart.
///
/// A `Rater` is built per rule-book epoch (the interval between two change instants,
/// where the book is constant) and kept until the next accepted event, so pricing a
/// window is a lookup, not a fold. Not thread-safe, like `Rater`.
///
/// Until the log has an accepted event there is no rule book: windows are priced like
/// `FlatPricer` (`price_per_unit` from the metrics file) and frames name no book.
public final class RuleLogPricer: WindowPricer {
    /// One epoch's book and the rater built on it.
    private struct Epoch {
        var start: EventTime?
        var end: EventTime?
        var rater: Rater?
        var hash: String?
        /// Why the book could not be built (an invariant of the fold broken: a bug).
        var failure: String?

        func contains(_ time: EventTime) -> Bool {
            (start.map { $0 <= time } ?? true) && (end.map { time < $0 } ?? true)
        }
    }

    public private(set) var reader: RuleLogReader
    private let makeEvaluator: () -> ScriptEvaluator?
    private var epochs: [Epoch] = []
    private var tieredServices: Set<String>
    private let flat = FlatPricer()

    /// `state`: the log folded so far (empty, or from a snapshot or a full read);
    /// `scriptEvaluator` makes the evaluator each epoch's `Rater` uses for scripts.
    public init(state: RuleLogState = RuleLogState(), scriptEvaluator: @escaping () -> ScriptEvaluator? = { nil }) {
        reader = RuleLogReader(state: state)
        makeEvaluator = scriptEvaluator
        tieredServices = state.servicesWithTierRules()
    }

    public var state: RuleLogState { reader.state }

    /// The offset of the last accepted rule event (nil before any).
    public var ruleBookVersion: Int64? { reader.state.version }
    /// The hash of the book in effect now is not meaningful for a past window: frames
    /// take `ruleBookIdentity(forWindowStarting:)`. This is the book at the latest
    /// change instant, for status displays.
    public var ruleBookHash: String? {
        guard reader.state.version != nil else { return nil }
        let latest = reader.state.changeInstants().last ?? .distantPast
        return epoch(containing: latest).hash
    }

    /// Folds the rule event stored at `offset` of the rules topic (offsets in order;
    /// redeliveries are ignored). An accepted event drops the cached raters.
    @discardableResult
    public func apply(eventBytes: [UInt8], offset: Int64) -> RuleEventOutcome {
        let outcome = reader.apply(bytes: eventBytes, offset: offset)
        if outcome.isAccepted {
            epochs.removeAll()
            tieredServices = reader.state.servicesWithTierRules()
        }
        return outcome
    }

    public func ruleBookIdentity(forWindowStarting windowStart: EventTime) -> (version: Int64?, hash: String?) {
        guard reader.state.version != nil else { return (nil, nil) }
        return (reader.state.version, epoch(containing: windowStart).hash)
    }

    public func price(_ input: RatingInput, metric: MetricDefinition, usage: TierUsageSource?) -> RatingResult {
        guard reader.state.version != nil else { return flat.price(input, metric: metric, usage: usage) }
        let epoch = epoch(containing: input.windowStart)
        guard let rater = epoch.rater else {
            return RatingResult(price: .zero, status: .failed(reason: epoch.failure ?? "no rule book"),
                                explanation: Explanation(modules: []))
        }
        return rater.rate(input, incomingPrice: .zero, tierUsage: usage)
    }

    public func usesCumulativeUsage(service: String) -> Bool { tieredServices.contains(service) }

    /// The cached epoch around `time`, built on first use.
    private func epoch(containing time: EventTime) -> Epoch {
        if let cached = epochs.first(where: { $0.contains(time) }) { return cached }
        let state = reader.state
        let bounds = state.epoch(containing: time)
        var epoch = Epoch(start: bounds.start, end: bounds.end)
        do {
            let book = try state.ruleBook(at: time)
            epoch.rater = Rater(book: book, scriptEvaluator: makeEvaluator())
            epoch.hash = book.contentHash
        } catch {
            epoch.failure = "the rule book at \(Timestamps.iso8601(time)) (version \(state.version.map(String.init) ?? "none")) is invalid: \(error)"
        }
        epochs.append(epoch)
        return epoch
    }
}
