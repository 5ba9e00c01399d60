import CRdKafka
import Glibc

/// Stops a consumer from asking the broker for records of a partition it has read to its
/// end until the broker says there is more: a partition that reports its end is paused
/// ("parked"), and every `checkIntervalMs` one ListOffsets request asks for the latest
/// offset of every parked partition; those that moved are resumed. Both consumers
/// (`KafkaConsumer`, `KafkaGroupConsumer`) park by default, every `fetch.wait.max.ms`.
///
/// Why: librdkafka keeps one fetch in flight per broker and sends the next as soon as the
/// last is answered, relying on the broker to hold an empty fetch for `fetch.wait.max.ms`.
/// A broker that answers at once (noida-db, the test and bench broker, ignores
/// `fetch.wait.max.ms` and `fetch.min.bytes`) then gets thousands of empty fetches a second per
/// consumer: measured, the broker spent 2.2 s of CPU serving `tally run` against 0.05 s
/// serving kcat for the same records, on a 2-core machine where that CPU is the rater's.
/// An idle partition (the rule log, the corrections topic, an input read to its end) now
/// costs one ListOffsets per interval. On a broker that does hold fetches, the cost is
/// up to one interval of extra latency for the first record after a quiet period.
///
/// Pausing is lossless: librdkafka resumes a partition at the offset after the last record
/// handed to the application. Resuming does not wake librdkafka's broker thread (it would
/// fetch only at its next 1 s tick), so the check is asked again right after a resume:
/// that request's answer wakes the thread, which then fetches.
///
/// Only partitions parked here are ever resumed here: librdkafka 2.0.2 may restart a
/// partition that was not paused from an older offset when it is "resumed" (its issue
/// #4686), and a pause outlives an unassignment (the partition comes back paused), so the
/// owners resume what they parked before giving a partition up (`resume(_:handle:)`).
final class EndOfPartitionParking {
    let checkIntervalMs: Int64
    /// The longest one check may block the polling thread.
    static let checkTimeoutMs: Int32 = 1_000
    /// Parked partitions and the offset each was read to (the next offset to fetch).
    private(set) var parked: [KafkaPartitionID: Int64] = [:]
    private var lastCheckMs: Int64 = 0

    init(checkIntervalMs: Int64) {
        self.checkIntervalMs = max(1, checkIntervalMs)
    }

    /// Parks every `fetch.wait.max.ms` of `config` (librdkafka's default, 500, if unset).
    convenience init(config: KafkaConfig) {
        self.init(checkIntervalMs: config["fetch.wait.max.ms"].flatMap { Int64($0) } ?? 500)
    }

    /// Parks the partitions `batch` reported at their end, unless a record of the same
    /// partition at or after that end arrived in the same batch (then it is not at its end)
    /// or `isOwned` says the consumer gave it up during the poll (a group rebalance).
    func parkPartitionsAtEnd(of batch: KafkaRecordBatch, handle: OpaquePointer,
                             isOwned: (KafkaPartitionID) -> Bool = { _ in true }) {
        guard !batch.partitionEnds.isEmpty else { return }
        var toPark: [(KafkaPartitionID, Int64)] = []
        for end in batch.partitionEnds {
            let key = KafkaPartitionID(topic: end.topic, partition: end.partition)
            let movedOn = batch.contains { $0.partition == end.partition && $0.offset >= end.offset && $0.topic == end.topic }
            if !movedOn && parked[key] == nil && isOwned(key) { toPark.append((key, end.offset)) }
        }
        guard !toPark.isEmpty else { return }
        let list = makePartitionList(toPark.map { KafkaTopicPartitionOffset(topic: $0.0.topic, partition: $0.0.partition, offset: $0.1) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard rd_kafka_pause_partitions(handle, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        for (key, offset) in toPark { parked[key] = offset }
    }

    /// Every `checkIntervalMs`: resumes the parked partitions whose latest offset is no
    /// longer the offset they were read to (grown; or lower, a recreated topic, which the
    /// fetch then reports). Blocks the caller for one ListOffsets round trip, at most
    /// `checkTimeoutMs`. A check that fails (a broker too slow or gone) resumes every parked
    /// partition: librdkafka's own fetching costs the broker more but never holds a record
    /// back, where staying parked would hold every one back for as long as checks fail.
    func resumeMovedPartitions(handle: OpaquePointer, nowMs: Int64) {
        guard !parked.isEmpty, nowMs - lastCheckMs >= checkIntervalMs else { return }
        lastCheckMs = nowMs
        guard let latest = latestOffsets(Array(parked.keys), handle: handle) else {
            resumeAll(handle: handle)
            return
        }
        // A partition the answer left out counts as moved, as for a failed check.
        let moved = parked.filter { key, offset in latest[key] != offset }.map(\.key)
        guard !moved.isEmpty else { return }
        resume(moved, handle: handle)
        _ = latestOffsets(moved, handle: handle)  // wakes librdkafka's broker thread (see above)
    }

    /// Resumes those of `partitions` that are parked and forgets them (before they are
    /// unassigned, or moved by a seek: a partition must never come back paused).
    func resume(_ partitions: some Sequence<KafkaPartitionID>, handle: OpaquePointer) {
        let toResume = partitions.filter { parked[$0] != nil }
        guard !toResume.isEmpty else { return }
        let list = makePartitionList(toResume.map { KafkaTopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: 0) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_resume_partitions(handle, list)  // an unknown partition needs no resuming
        for key in toResume { parked[key] = nil }
    }

    /// Resumes every parked partition (before a new assignment, so none stays paused).
    func resumeAll(handle: OpaquePointer) {
        resume(Array(parked.keys), handle: handle)
    }

    /// The latest offset of each partition in one ListOffsets request per broker (a
    /// timestamp of -1 asks for the end; under `read_committed` the last stable offset).
    private func latestOffsets(_ keys: [KafkaPartitionID], handle: OpaquePointer) -> [KafkaPartitionID: Int64]? {
        let list = makePartitionList(keys.map { KafkaTopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: -1) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard rd_kafka_offsets_for_times(handle, list, Self.checkTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        var result: [KafkaPartitionID: Int64] = [:]
        for (entry, error) in readPartitionList(list) where error == RD_KAFKA_RESP_ERR_NO_ERROR && entry.offset >= 0 {
            result[KafkaPartitionID(topic: entry.topic, partition: entry.partition)] = entry.offset
        }
        return result
    }
}
