import TallyCore

/// A copy of a sample the live rater refused as a conflicting duplicate, as its dead
/// letter records it: the record's coordinates and the sample's id.
public struct RefusedCopy: Hashable, Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var sample: SampleKey
    public init(topic: String, partition: Int32, offset: Int64, sample: SampleKey) {
        self.topic = topic; self.partition = partition; self.offset = offset; self.sample = sample
    }
}

extension StreamRater {
    struct RefusedCopyKey: Hashable {
        var topic: UInt16
        var partition: Int32
        var offset: Int64
        var sample: SampleKey
    }

    /// Makes a replay take the live rater's decisions on conflicting duplicates: when the
    /// two copies of an id sit on different partitions, which one the rater read first
    /// depended on how the broker interleaved them, and a replay (each partition in
    /// turn) could keep the other. The copies named here are refused wherever they are
    /// met, so the copy that was billed is the one folded (docs/CONFIG.md, Deduplication).
    public func honour(refusedCopies: [RefusedCopy]) {
        for copy in refusedCopies {
            guard let topic = topicIndex[copy.topic] else { continue }
            refused.insert(RefusedCopyKey(topic: topic, partition: copy.partition, offset: copy.offset, sample: copy.sample))
        }
    }

    /// Whether the live rater refused this copy (only ever true in a replay).
    @inline(__always)
    func wasRefused(_ key: SampleKey, partition pid: PartitionID, offset: Int64) -> Bool {
        !refused.isEmpty && refused.contains(RefusedCopyKey(topic: pid.topic, partition: pid.partition, offset: offset, sample: key))
    }
}

extension SampleDigest {
    /// The key written as 8-4-4-4-12 hex by `uuidText` (nil if `text` is not that).
    public static func key(uuidText text: Substring) -> SampleKey? {
        let hex = text.filter { $0 != "-" }
        guard text.count == 36, hex.count == 32, let high = UInt64(hex.prefix(16), radix: 16),
              let low = UInt64(hex.suffix(16), radix: 16) else { return nil }
        return SampleKey(high: high, low: low)
    }
}
