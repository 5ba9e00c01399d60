import TallyKafka

/// The rater stops (`on_offset_reset: fail`) because an input partition's stored
/// offset is not on the broker: names everything an operator needs to decide.
public struct OffsetOutOfRangeError: Error, CustomStringConvertible {
    public let topic: String
    public let partition: Int32
    /// The next offset the rater's state says to read.
    public let stored: Int64
    /// The offsets the broker holds now: `low..<high`.
    public let low: Int64
    public let high: Int64

    public var description: String {
        let what = stored > high
            ? "is beyond the end of the partition (the topic was recreated or its records are gone)"
            : "is below the oldest record it still has (records \(stored)..<\(low) were deleted before they were read)"
        return "input \(topic)[\(partition)]: the stored offset \(stored) \(what); the broker holds offsets "
            + "\(low)..<\(high). Nothing was skipped. To resume, set kafka.on_offset_reset to earliest "
            + "(rate from offset \(low)) or latest (rate from offset \(high)) and start again."
    }
}

extension RaterService {
    /// Acts on the per-partition consumer errors of one poll: an input partition whose
    /// offset is out of range is decided by `on_offset_reset` (stop, or seek and move the
    /// stored position), logged and counted; any other consumer error is logged once per
    /// kind and partition (librdkafka retries those itself) unless it is fatal.
    /// `assignment` is what the consumer was assigned at start; a reset re-assigns every
    /// partition from where the rater stands (librdkafka refuses to seek a partition that
    /// `auto.offset.reset=error` has stopped).
    func handleConsumerErrors(_ errors: [KafkaError], consumer: KafkaConsumer, admin: KafkaAdmin,
                              assignment: inout [(topic: String, partition: Int32, offset: KafkaOffset)],
                              log: (String) -> Void) throws {
        for error in errors {
            if error.isFatal { throw error }
            guard error.isOffsetOutOfRange, let where_ = error.partition,
                  config.inputs.contains(where: { $0.topic == where_.topic }) else {
                let key = "\(error.name) \(error.partition.map { "\($0.topic)[\($0.partition)]" } ?? "")"
                if reportedConsumerErrors.insert(key).inserted { log("tally: consumer: \(error)") }
                consumerErrors += 1
                continue
            }
            let target = try resetPartition(where_.topic, where_.partition, reportedOffset: where_.offset,
                                            admin: admin, log: log)
            assignment = assignment.map { entry in
                if entry.topic == where_.topic && entry.partition == where_.partition {
                    return (entry.topic, entry.partition, .exact(target))
                }
                if entry.topic == config.rulesTopic, let ruleLog {
                    return (entry.topic, entry.partition, ruleLog.state.lastOffset.map { .exact($0 + 1) } ?? entry.offset)
                }
                return (entry.topic, entry.partition, rater.position(topic: entry.topic, partition: entry.partition)
                    .map { .exact($0) } ?? entry.offset)
            }
            try consumer.assign(assignment)
        }
    }

    /// Decides one out-of-range input partition; returns the offset to resume at.
    private func resetPartition(_ topic: String, _ partition: Int32, reportedOffset: Int64,
                                admin: KafkaAdmin, log: (String) -> Void) throws -> Int64 {
        let (low, high) = try admin.watermarks(topic: topic, partition: partition)
        let stored = rater.position(topic: topic, partition: partition) ?? reportedOffset
        if low <= stored && stored <= high {
            // The position the rater stands at is on the broker (its end included): the error
            // is stale, from a fetch made before an earlier reset of this partition moved it
            // (librdkafka retries a failed fetch every `fetch.error.backoff.ms`, so several can
            // be queued). Nothing to decide; the partition is re-assigned where it stands.
            log("tally: consumer: offset out of range reported for input \(topic)[\(partition)] at offset "
                + "\(reportedOffset), but the stored offset \(stored) is on the broker (it holds \(low)..<\(high)); "
                + "resuming at offset \(stored)")
            return stored
        }
        let failure = OffsetOutOfRangeError(topic: topic, partition: partition, stored: stored, low: low, high: high)
        let target: Int64
        switch config.onOffsetReset {
        case .fail: throw failure
        case .earliest: target = low
        case .latest: target = high
        }
        offsetResets += 1
        log("tally: offset reset (on_offset_reset: \(config.onOffsetReset.rawValue)): input \(topic)[\(partition)] "
            + "stored offset \(stored) is not on the broker (it holds \(low)..<\(high)); resuming at offset \(target)")
        rater.resetPosition(topic: topic, partition: partition, to: target)
        return target
    }
}
