import CRdKafka
import Glibc

/// Stops a consumer from asking the broker for records of a partition it has read to its
/// end until the broker says there is more: a partition that reports its end is paused
/// ("parked"), and every `checkIntervalMs` one ListOffsets request asks for the latest
/// offset of every parked partition; those that grew are resumed.
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
final class EndOfPartitionParking {
    struct Key: Hashable {
        let topic: String
        let partition: Int32
    }

    let checkIntervalMs: Int64
    /// Parked partitions and the offset each was read to (the next offset to fetch).
    private(set) var parked: [Key: Int64] = [:]
    private var lastCheckMs: Int64 = 0

    init(checkIntervalMs: Int64) {
        self.checkIntervalMs = checkIntervalMs
    }

    /// Parks the partitions `batch` reported at their end, unless a record of the same
    /// partition at or after that end arrived in the same batch (then it is not at its end).
    func parkPartitionsAtEnd(of batch: KafkaRecordBatch, client: ConsumerClient) {
        guard !batch.partitionEnds.isEmpty else { return }
        var toPark: [(Key, Int64)] = []
        for end in batch.partitionEnds {
            let key = Key(topic: end.topic, partition: end.partition)
            let movedOn = batch.contains { $0.partition == end.partition && $0.offset >= end.offset && $0.topic == end.topic }
            if !movedOn && parked[key] == nil { toPark.append((key, end.offset)) }
        }
        guard !toPark.isEmpty else { return }
        let list = makePartitionList(toPark.map { KafkaTopicPartitionOffset(topic: $0.0.topic, partition: $0.0.partition, offset: $0.1) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard rd_kafka_pause_partitions(client.handle, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        for (key, offset) in toPark { parked[key] = offset }
    }

    /// Every `checkIntervalMs`: resumes the parked partitions whose latest offset moved
    /// past the offset they were read to. A failed check leaves them parked until the next.
    func resumeGrownPartitions(client: ConsumerClient, nowMs: Int64) {
        guard !parked.isEmpty, nowMs - lastCheckMs >= checkIntervalMs else { return }
        lastCheckMs = nowMs
        guard let latest = latestOffsets(Array(parked.keys), client: client) else {
            lastCheckMs = nowMs + 1_000  // broker unreachable: do not block the caller's loop at every poll
            return
        }
        let grown = latest.filter { key, offset in offset > (parked[key] ?? .max) }.map(\.key)
        guard !grown.isEmpty else { return }
        let list = makePartitionList(grown.map { KafkaTopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: 0) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard rd_kafka_resume_partitions(client.handle, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        for key in grown { parked[key] = nil }
        _ = latestOffsets(grown, client: client)  // wakes librdkafka's broker thread (see above)
    }

    /// Resumes every parked partition (before a new assignment, so none stays paused).
    func resumeAll(client: ConsumerClient) {
        guard !parked.isEmpty else { return }
        let list = makePartitionList(parked.keys.map { KafkaTopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: 0) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_resume_partitions(client.handle, list)
        parked = [:]
    }

    /// The latest offset of each partition in one ListOffsets request per broker (a
    /// timestamp of -1 asks for the end; under `read_committed` the last stable offset).
    private func latestOffsets(_ keys: [Key], client: ConsumerClient) -> [Key: Int64]? {
        let list = makePartitionList(keys.map { KafkaTopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: -1) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard rd_kafka_offsets_for_times(client.handle, list, 1_000) == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        var result: [Key: Int64] = [:]
        for (entry, error) in readPartitionList(list) where error == RD_KAFKA_RESP_ERR_NO_ERROR && entry.offset >= 0 {
            result[Key(topic: entry.topic, partition: entry.partition)] = entry.offset
        }
        return result
    }
}

/// Milliseconds of CLOCK_MONOTONIC (for the parking interval; TallyKafka has no clock of its own).
func monotonicMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
