extension StreamRater {
    /// Moves a partition's stored position to `offset` (the next record to read), after the
    /// operator's `on_offset_reset` policy chose to resume a partition whose stored offset
    /// no longer exists on the broker (topic recreated, records deleted). Without this the
    /// rater would skip every record below the old position as "already folded". Persisted
    /// with the next batch. Sample-id deduplication still holds across the reset.
    public func resetPosition(topic: String, partition: Int32, to offset: Int64) {
        guard let t = topicIndex[topic] else { return }
        let pid = PartitionID(topic: t, partition: partition)
        offsets[pid] = offset
        partitions.notAtEnd(pid)
    }

    /// The stored next offset of one partition, if the rater has read it before.
    public func position(topic: String, partition: Int32) -> Int64? {
        guard let t = topicIndex[topic] else { return nil }
        return offsets[PartitionID(topic: t, partition: partition)]
    }
}
