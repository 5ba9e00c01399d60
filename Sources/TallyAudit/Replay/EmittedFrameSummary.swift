import TallyCore

/// What a replay's diff needs of one frame, and nothing more: its identity, window,
/// revision, quantity and price. A replay holds one of these per frame id of the range
/// (the latest emitted revision, the replayed one) instead of the frame's member tree.
public struct EmittedFrameSummary: Sendable, Equatable {
    public var frameId: String
    public var revision: Int
    public var scope: String
    public var metric: String
    public var resource: String
    /// `window.start` as the frame writes it (the diff sorts and prints this text).
    public var windowStartText: String
    public var windowStart: EventTime?
    public var quantity: ExactDecimal
    public var price: ExactDecimal
    /// The frames partition it was read from (nil: a replayed frame): the window's chain,
    /// whose writer executes a correction of it.
    public var partition: Int32?

    /// From a frame read back from the frames topic (which has price and quantity: `FrameRecord` checks).
    public init(_ record: FrameRecord) {
        frameId = record.frameId
        revision = record.revision
        scope = record.scope
        metric = record.metric
        resource = record.resource
        windowStartText = record.windowStartText
        windowStart = record.windowStart
        quantity = record.quantity ?? .zero
        price = record.price ?? .zero
        partition = record.partition
    }

    /// From a frame value, as the engine closed it (no bytes parsed).
    public init(_ frame: Frame) {
        frameId = frame.frameId
        revision = frame.revision
        scope = frame.scope
        metric = frame.metric
        resource = frame.resourceId
        windowStartText = Timestamps.iso8601(frame.windowStart)
        windowStart = frame.windowStart
        quantity = frame.quantity
        price = frame.price
    }
}
