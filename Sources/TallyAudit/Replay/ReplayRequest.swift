import TallyCore

/// What to replay: windows starting in [from, to), optionally one scope or metric,
/// priced with `rules`.
public struct ReplayRequest: Sendable {
    public var from: EventTime
    public var to: EventTime
    public var scope: String?
    public var metric: String?
    public var rules: ReplayRules

    public init(from: EventTime, to: EventTime, scope: String? = nil, metric: String? = nil, rules: ReplayRules = .current) {
        self.from = from; self.to = to; self.scope = scope; self.metric = metric; self.rules = rules
    }

    /// Whether a frame's window is one this request is about.
    public func selects(_ frame: FrameRecord) -> Bool {
        selects(windowStart: frame.windowStart, scope: frame.scope, metric: frame.metric)
    }

    public func selects(_ frame: EmittedFrameSummary) -> Bool {
        selects(windowStart: frame.windowStart, scope: frame.scope, metric: frame.metric)
    }

    public func selects(_ frame: Frame) -> Bool {
        selects(windowStart: frame.windowStart, scope: frame.scope, metric: frame.metric)
    }

    public func selects(windowStart start: EventTime?, scope frameScope: String, metric frameMetric: String) -> Bool {
        guard let start, from <= start, start < to else { return false }
        if let scope, frameScope != scope { return false }
        if let metric, frameMetric != metric { return false }
        return true
    }

    /// The deterministic id of applying this replay: 128 bits of SHA-256 over the
    /// range, the filters, the rules' identity, the author and the reason (each
    /// NUL-terminated). The same replay applied again has the same id.
    public func replayId(rulesIdentity: String, author: String, reason: String) -> String {
        var h = SHA256()
        for part in ["tally.replay/1", String(from.micros), String(to.micros), scope ?? "", metric ?? "",
                     rulesIdentity, author, reason] {
            h.update(part); h.update(CollectionOfOne(UInt8(0)))
        }
        return Hex.encode(h.finalize().prefix(16))
    }
}
