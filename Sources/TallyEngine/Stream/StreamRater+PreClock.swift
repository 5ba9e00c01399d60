import TallyCore
import TallyWire

/// The lower bound on event time before the closing clock exists.
///
/// The closing clock is set by the first batch's commit. Until then there is nothing to
/// measure retention against, so a sample stamped 1970 at the head of a new state's first
/// batch would open (and bill) a 1970 window. Instead, each partition's latest event time
/// in the batch stands in for the clock: the run loop shows the rater each record with
/// `preview` before folding it, while `needsPreview` says so — the first batch only, so
/// decoding twice costs nothing in the steady state.
extension StreamRater {
    /// True until the closing clock exists.
    public var needsPreview: Bool { globalClock == nil }

    /// Notes the latest event time of `record`'s samples (known metrics, not in the
    /// future) for its partition. Folds nothing, counts nothing.
    public func preview(_ record: InputRecord, wallNow: EventTime) {
        guard globalClock == nil, let topic = topicIndex[record.topic] else { return }
        let pid = PartitionID(topic: topic, partition: record.partition)
        if let next = offsets[pid], record.offset < next { return }
        var latest = previewedLatest[pid]
        let catalog = self.catalog
        _ = try? decoders[Int(topic)].decode(record.value, emit: { sample in
            guard catalog.index(of: sample.metric) != nil,
                  !PartitionClock.isFutureTimestamp(sample.timestamp, wallNow: wallNow, maxSkew: catalog.maxFutureSkew)
            else { return }
            if latest.map({ $0 < sample.timestamp }) ?? true { latest = sample.timestamp }
        }, reject: { _ in })
        previewedLatest[pid] = latest
    }

    /// What stands in for the clock on partition `pid` before the clock exists: the latest
    /// event time previewed or folded on it.
    func preClockHorizon(_ pid: PartitionID) -> EventTime? {
        let folded = clocks[pid]?.maxEventTime
        guard let previewed = previewedLatest[pid] else { return folded }
        return max(previewed, folded ?? previewed)
    }

    @inline(__always) static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
