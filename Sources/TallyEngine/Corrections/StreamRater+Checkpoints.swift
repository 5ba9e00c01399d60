import TallyCore

/// Anchoring the frames chains: the rater keeps, per frames partition, how many frames
/// it has emitted and the content hash of the last one (the chain head) in LMDB, and
/// with every batch that emitted frames it writes a checkpoint record naming them and
/// its closing clock, through the same outbox, in the same transaction. A frames
/// partition that lost its tail then holds fewer frames than a checkpoint (or an
/// operator's `verify --expected-head`) says, and a window the clock has closed must
/// have a frame (docs/REPLAY.md).
extension StreamRater {
    public static let checkpointSchema = "tally.checkpoint/1"

    /// One frames partition's anchor: frames emitted on it (-1: unknown, state from before
    /// counts were kept) and the last one's content hash.
    public struct ChainAnchor: Sendable, Equatable {
        public var partition: Int32
        public var count: Int64
        public var head: String
        public init(partition: Int32, count: Int64, head: String) { self.partition = partition; self.count = count; self.head = head }
        /// `PARTITION:COUNT:HASH`, as `tally verify --expected-head` takes it.
        public var text: String { "\(partition):\(count):\(head)" }
    }

    /// The anchors as of the last commit (what the frames topic must hold once the outbox is sent).
    public func chainAnchors() throws -> [ChainAnchor] {
        let counts = try outbox.chainCounts(in: store)
        return outbox.chainHeads.indices.map { ChainAnchor(partition: Int32($0), count: counts[$0], head: outbox.chainHeads[$0]) }
    }

    /// The frames partitions a checkpoint of this rater anchors: all of them, or in group
    /// mode only the task's own (other tasks write the other chains).
    var anchoredPartitions: [Int] {
        settings.ownedFramesPartition.map { [Int($0)] } ?? Array(outbox.chainHeads.indices)
    }

    /// Counts the frames this batch put in the outbox per partition and, if there were
    /// any, queues a checkpoint after them. Called by `commitBatch` before it writes.
    func checkpointChains() throws {
        _ = try outbox.chainCounts(in: store)
        guard let counts = outbox.countPendingFrames(on: settings.framesTopic) else { return }
        for p in counts.indices {
            var w = ByteWriter(); w.i64(counts[p])
            pendingMetaWrites.append((StateLayout.Meta.chainCount(p), w.bytes))
        }
        let record: CanonicalJSON = .object([
            "schema": .string(Self.checkpointSchema),
            "frames_topic": .string(settings.framesTopic),
            "clock": partitions.closingClock.map { .string(Timestamps.iso8601($0)) } ?? .null,
            "partitions": .array(anchoredPartitions.map {
                .object(["partition": .integer(Int64($0)), "count": .integer(counts[$0]), "head": .string(outbox.chainHeads[$0])])
            }),
        ])
        outbox.enqueue(OutboxEntry(kind: .checkpoint, topic: settings.checkpointsTopic, partition: 0,
                                   key: Array(settings.framesTopic.utf8), value: record.bytes))
    }
}
