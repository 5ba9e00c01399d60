import TallyCore
import TallyIndex

/// `tally report`'s ledger from the frame index's latest revisions (already deduplicated
/// there), so `UsageReport` runs over the index's values instead of each frame's JSON.
/// Window times are written back in the canonical UTC text Tally's frames carry.
extension FrameLedger {
    public init(latest frames: [some RatedFrameFields]) {
        self.init()
        for frame in frames { insert(latest: Entry(frame)) }
    }
}

extension FrameLedger.Entry {
    public init(_ frame: some RatedFrameFields) {
        self.init(frameId: frame.frameId, revision: frame.revision, scope: frame.scope, metric: frame.metric,
                  service: frame.service, resource: frame.resource, windowStart: Timestamps.iso8601(frame.windowStart),
                  windowEnd: Timestamps.iso8601(frame.windowEnd), quantity: frame.quantity, unit: frame.unit,
                  price: frame.price, currency: frame.currency, status: frame.status, userId: frame.user,
                  scopeName: frame.scopeName)
    }
}
