import TallyCore

/// Read-only views of the rater's clocks for `/metrics` (event-time watermark lag). Called on
/// the rater's thread between batches, never on the per-sample path.
extension StreamRater {
    /// Each assigned input partition's event clock (nil until it delivers a sample), in
    /// (topic, partition) order.
    public var partitionClocks: [(topic: String, partition: Int32, clock: EventTime?)] {
        partitions.clocks.keys.sorted().map { pid in (settings.inputs[Int(pid.topic)].topic, pid.partition, partitions.clocks[pid]?.clock) }
    }

    /// The clock windows close on: the minimum of the partition clocks, never moving back.
    public var closingClock: EventTime? { partitions.closingClock }
}
