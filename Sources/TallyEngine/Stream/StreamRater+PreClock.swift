import TallyCore
import TallyWire

/// The lower bound on event time before the closing clock exists.
///
/// The closing clock is set by the first batch's commit. Until then there is nothing to
/// measure retention against, so a sample stamped 1970 at the head of a new state's first
/// batch would open (and bill) a 1970 window. Instead, the batch's latest event time (over
/// every partition: a partition whose first record is the 1970 one has nothing else to go
/// by) stands in for the clock: the run loop shows the rater each record with `preview`
/// before folding it, while `needsPreview` says so — the first batch only, so decoding
/// twice costs nothing in the steady state.
extension StreamRater {
    /// True until the closing clock exists.
    public var needsPreview: Bool { globalClock == nil }

    /// Notes the latest event time of `record`'s samples (known metrics, not in the
    /// future). Folds nothing, counts nothing.
    public func preview(_ record: InputRecord, wallNow: EventTime) {
        guard globalClock == nil, let topic = topicIndex[record.topic] else { return }
        let pid = PartitionID(topic: topic, partition: record.partition)
        if let next = offsets[pid], record.offset < next { return }
        var latest = previewedLatest
        let catalog = self.catalog
        _ = try? decoders[Int(topic)].decode(record.value, emit: { sample in
            guard catalog.index(of: sample.metric) != nil,
                  !PartitionClock.isFutureTimestamp(sample.timestamp, wallNow: wallNow, maxSkew: catalog.maxFutureSkew)
            else { return }
            if latest.map({ $0 < sample.timestamp }) ?? true { latest = sample.timestamp }
        }, reject: { _ in })
        previewedLatest = latest
    }

    /// What stands in for the clock before it exists: the latest event time previewed or
    /// folded so far.
    func preClockHorizon() -> EventTime? {
        var horizon = previewedLatest
        for clock in clocks.values {
            if let t = clock.maxEventTime, horizon.map({ $0 < t }) ?? true { horizon = t }
        }
        return horizon
    }

    @inline(__always) static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
