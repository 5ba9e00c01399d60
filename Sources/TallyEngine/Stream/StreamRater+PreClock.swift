import TallyCore
import TallyWire

/// The lower bound on event time before the closing clock exists.
///
/// The closing clock is set by the first commit after every assigned partition has
/// delivered. Until then there is nothing to measure retention against, so a sample
/// stamped 1970 at the head of a new state's first batch would open (and bill) a 1970
/// window. Instead, the latest event time of the sample's own record and of the next
/// record on its partition stands in for the clock: a sample already past its retention
/// when the record after it was sent is stale. The run loop shows the rater each record
/// with `preview` before folding it, while `needsPreview` says so — until the clock
/// exists; the record it decodes is kept for `fold` (PredecodedRecords), so nothing is
/// decoded twice.
///
/// Why so local: the clock is a minimum over partitions, and a broker may serve one
/// partition's whole backlog before the next one's (the crash test found it). Until the
/// others deliver, a sample behind the samples folded before it on its partition may be
/// one the clock accepts (a producer retry landing on another partition than the
/// original), and one poll of a sparse backlog may span more than a retention of
/// in-order samples. Only its immediate neighbour says a sample is absurdly old. (A
/// stale sample that is the last its partition delivered before the clock exists has
/// no neighbour and is still folded.)
extension StreamRater {
    /// True until the closing clock exists.
    public var needsPreview: Bool { partitions.closingClock == nil }

    /// Notes the latest event time of `record`'s samples (known metrics, not in the
    /// future). Folds nothing, counts nothing.
    public func preview(_ record: InputRecord, wallNow: EventTime) {
        guard partitions.closingClock == nil, let topic = input(ofTopic: record.topic) else { return }
        let pid = PartitionID(topic: topic, partition: record.partition)
        if let next = offsets[pid], record.offset < next { return }
        if let last = previewed[pid]?.last, last.offset >= record.offset { return }  // offsets only grow
        var latest: EventTime?
        let catalog = self.catalog
        // What `fold` needs is kept, so the record is decoded once (PredecodedRecords).
        predecoded.keep(partition: pid, offset: record.offset) { queue in
            do throws(RecordDecodeError) {
                try decode(record, topic: Int(topic), emit: { sample in
                    queue.append(sample)
                    guard catalog.index(of: sample.metric) != nil,
                          !PartitionClock.isFutureTimestamp(sample.timestamp, wallNow: wallNow, maxSkew: catalog.maxFutureSkew)
                    else { return }
                    if latest.map({ $0 < sample.timestamp }) ?? true { latest = sample.timestamp }
                }, reject: { rejection in
                    queue.append(rejection)
                })
                return nil
            } catch {
                return error
            }
        }
        previewed[pid, default: []].append((record.offset, latest))
    }

    /// What stands in for the clock, before it exists, for a sample of the record at
    /// `offset` on partition `pid`.
    func preClockHorizon(_ pid: PartitionID, offset: Int64) -> EventTime? {
        var horizon: EventTime?
        func consider(_ t: EventTime?) { if let t, horizon.map({ $0 < t }) ?? true { horizon = t } }
        if let records = previewed[pid] {
            let i = records.partitionIndex { $0.offset >= offset }
            if i < records.count {
                consider(records[i].latest)
                if records[i].offset == offset, i + 1 < records.count { consider(records[i + 1].latest) }
            }
        }
        return horizon
    }

    @inline(__always) static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
