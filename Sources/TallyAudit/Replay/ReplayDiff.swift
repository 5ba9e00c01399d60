import TallyCore

/// A replay's result next to what was emitted: per frame and per scope.
public struct ReplayDiff: Sendable {
    /// One window of the range: the latest emitted revision and the replayed frame.
    public struct FrameChange: Sendable {
        public var frameId: String
        public var scope: String
        public var metric: String
        public var resource: String
        public var windowStart: String
        /// nil: the replay closed a window that was never emitted.
        public var old: EmittedFrameSummary?
        /// nil: an emitted window the replay did not produce.
        public var new: EmittedFrameSummary?
        /// The replayed frame in full, as the engine closed it: kept for the frames that
        /// differ (their content goes into a correction command), and for every frame when
        /// the diff was built `keepingEveryFrame` (a shadow topic gets them all).
        public var replayed: Frame? { replayedBox?.frame }
        /// Boxed: a frame is a large value, and the diff sorts its changes.
        var replayedBox: ReplayedFrame?

        public var oldPrice: ExactDecimal { old?.price ?? .zero }
        public var newPrice: ExactDecimal { new?.price ?? .zero }
        public var oldQuantity: ExactDecimal { old?.quantity ?? .zero }
        public var newQuantity: ExactDecimal { new?.quantity ?? .zero }
        /// Whether the bill would change: the price or the quantity differs, or one side is missing.
        public var differs: Bool { old == nil || new == nil || oldPrice != newPrice || oldQuantity != newQuantity }
    }

    /// A scope's totals, exact (`ExactSum`, as the reports' totals): an `ExactDecimal` running
    /// sum rounds to 28 digits at each addition, so a scope of many long prices lost digits.
    public struct ScopeTotal: Sendable {
        public var scope: String
        public var oldTotal: ExactSum
        public var newTotal: ExactSum
        /// `newTotal − oldTotal`, summed frame by frame (`ExactSum` does not subtract sums).
        public var difference: ExactSum
        public var frames: Int
        public var changedFrames: Int
    }

    /// Builds a diff one replayed frame at a time, against the latest emitted revision of
    /// each frame id of the range, so a replay never holds its frames all at once.
    public struct Builder {
        let request: ReplayRequest
        let currency: String
        let keepingEveryFrame: Bool
        var changes: [String: FrameChange] = [:]

        /// `emitted`: the latest emitted revision of each frame id (those outside the request are ignored).
        public init(request: ReplayRequest, emitted: [String: EmittedFrameSummary], currency: String, keepingEveryFrame: Bool = false) {
            self.request = request; self.currency = currency; self.keepingEveryFrame = keepingEveryFrame
            for f in emitted.values where request.selects(f) {
                changes[f.frameId] = FrameChange(frameId: f.frameId, scope: f.scope, metric: f.metric, resource: f.resource,
                                                 windowStart: f.windowStartText, old: f, new: nil, replayedBox: nil)
            }
        }

        /// One frame the replay closed. A higher revision of the same frame id (a window
        /// re-priced within the replay) replaces a lower one.
        public mutating func add(_ frame: Frame) {
            guard request.selects(frame) else { return }
            if let seen = changes[frame.frameId]?.new, seen.revision >= frame.revision { return }
            let summary = EmittedFrameSummary(frame)
            var change = changes[frame.frameId] ?? FrameChange(
                frameId: summary.frameId, scope: summary.scope, metric: summary.metric, resource: summary.resource,
                windowStart: summary.windowStartText, old: nil, new: nil, replayedBox: nil)
            change.new = summary
            change.replayedBox = keepingEveryFrame || change.differs ? ReplayedFrame(frame) : nil
            changes[frame.frameId] = change
        }

        public func build() -> ReplayDiff { ReplayDiff(changes: changes, currency: currency) }
    }

    /// Every window of the range, by scope, metric, window start, frame id.
    public var frames: [FrameChange]
    public var currency: String

    init(changes: [String: FrameChange], currency: String) {
        self.currency = currency
        // Indices are sorted, not the changes themselves (large values, 100,000s of them), by
        // (scope, metric, window start, resource, frame id) as Strings order them. The first four
        // are few distinct texts each: they are ranked once (a dictionary groups equal Strings
        // as `==` does, the ranks follow `<`), so the sort compares integers and copies no
        // String; frame ids, unique, are compared only where the four ranks tie.
        let all = Array(changes.values)
        func ranks(_ field: (FrameChange) -> String) -> [Int32] {
            var rank: [String: Int32] = [:]
            for change in all { rank[field(change)] = 0 }
            for (i, text) in rank.keys.sorted().enumerated() { rank[text] = Int32(i) }
            return all.map { rank[field($0)]! }
        }
        let scope = ranks(\.scope), metric = ranks(\.metric), start = ranks(\.windowStart), resource = ranks(\.resource)
        let order = all.indices.sorted { a, b in
            if scope[a] != scope[b] { return scope[a] < scope[b] }
            if metric[a] != metric[b] { return metric[a] < metric[b] }
            if start[a] != start[b] { return start[a] < start[b] }
            if resource[a] != resource[b] { return resource[a] < resource[b] }
            return all[a].frameId < all[b].frameId
        }
        frames = order.map { all[$0] }
    }

    public var changed: [FrameChange] { frames.filter(\.differs) }

    /// Old total, new total and difference per scope, by scope.
    public var scopes: [ScopeTotal] {
        var out: [String: ScopeTotal] = [:]
        for f in frames {
            var t = out[f.scope] ?? ScopeTotal(scope: f.scope, oldTotal: ExactSum(), newTotal: ExactSum(), difference: ExactSum(),
                                               frames: 0, changedFrames: 0)
            t.oldTotal.add(f.oldPrice)
            t.newTotal.add(f.newPrice)
            t.difference.add(f.newPrice)
            t.difference.add(-f.oldPrice)
            t.frames += 1
            if f.differs { t.changedFrames += 1 }
            out[f.scope] = t
        }
        return out.values.sorted { $0.scope < $1.scope }
    }

    public var isEmpty: Bool { changed.isEmpty }
}

/// A replayed frame kept by a diff, by reference.
final class ReplayedFrame: Sendable {
    let frame: Frame
    init(_ frame: Frame) { self.frame = frame }
}
