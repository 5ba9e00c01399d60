import TallyCore

/// The record collector (Kafka Streams' `RecordCollector`): every message the task writes —
/// frames, dead letters, checkpoints, correction receipts — numbered in one sequence,
/// written with the batch's transaction, handed out to be sent only after that commit, and
/// deleted from the store with the batch after the broker acknowledged it. Beside them, the
/// frames chains: each frames partition's head (the last frame's content hash) and how many
/// frames it holds.
///
/// A struct the task holds directly. Exactly once: nothing enqueued leaves `committed()`
/// before the transaction that `persist` wrote it into has committed, and an entry stays in
/// the store (to be sent again after a crash, byte-identical) until acknowledged.
struct Outbox {
    /// The last sequence number given out (stored, so numbers never repeat across restarts).
    private(set) var sequence: UInt64 = 0
    /// Entries enqueued in this batch, in order, with their sequence numbers.
    private(set) var pending: [(sequence: UInt64, entry: OutboxEntry)] = []
    /// Sequence numbers acknowledged since the last commit: deleted by the next one.
    private var acknowledged: [UInt64] = []
    /// Entries written and not yet acknowledged.
    private(set) var unacknowledged = 0
    /// Each frames partition's chain head: the content hash of its last frame ("" before the first).
    var chainHeads: [String]
    /// Frames emitted per frames partition; nil until read from the store (`chainCounts(in:)`).
    private var chainCounts: [Int64]?

    init(framesPartitions: Int) {
        chainHeads = Array(repeating: "", count: framesPartitions)
    }

    mutating func enqueue(_ entry: OutboxEntry) {
        sequence += 1
        pending.append((sequence, entry))
        unacknowledged += 1
    }

    /// The broker acknowledged `token`: its entry is deleted with the next batch.
    mutating func acknowledge(_ token: UInt64) {
        acknowledged.append(token)
        unacknowledged -= 1
    }

    /// Writes the batch's entries, deletes the acknowledged ones, and stores the sequence and
    /// the chain heads.
    func persist(into txn: StateTransaction) throws {
        var key = [UInt8](repeating: 0, count: 8)
        for i in pending.indices {
            // Encoded straight into the page LMDB reserves: the ~2 KB frame is copied once.
            StateLayout.setOutboxKey(&key, sequence: pending[i].sequence)
            try txn.put(.outbox, key, count: pending[i].entry.encodedCount, append: true) { pending[i].entry.encode(into: $0) }
        }
        for sequence in acknowledged {
            StateLayout.setOutboxKey(&key, sequence: sequence)
            try txn.delete(.outbox, key)
        }
        var seq = ByteWriter(); seq.u64(sequence)
        try txn.put(.meta, StateLayout.Meta.outboxSequence, seq.bytes, append: false)
        for (p, head) in chainHeads.enumerated() { try txn.put(.meta, StateLayout.Meta.chainHead(p), Array(head.utf8), append: false) }
    }

    /// After the commit of what `persist` wrote: the batch's messages, to send now.
    mutating func committed() -> [OutgoingMessage] {
        acknowledged.removeAll(keepingCapacity: true)
        let messages = pending.map { sequence, entry in
            OutgoingMessage(topic: entry.topic, partition: entry.partition, key: entry.key, value: entry.value, token: sequence)
        }
        pending.removeAll(keepingCapacity: true)
        return messages
    }

    /// Loads the sequence and the chain heads; returns the entries still in the store (never
    /// acknowledged), in order, to send again.
    mutating func restore(from txn: StateTransaction) throws -> [OutgoingMessage] {
        if let s = try txn.get(.meta, StateLayout.Meta.outboxSequence) {
            sequence = try s.withUnsafeBytes { var r = ByteReader($0, what: "outbox sequence"); return try r.u64() }
        }
        for p in chainHeads.indices {
            if let h = try txn.get(.meta, StateLayout.Meta.chainHead(p)) { chainHeads[p] = String(decoding: h, as: UTF8.self) }
        }
        var resend: [OutgoingMessage] = []
        try txn.scan(.outbox, from: []) { k, v in
            let sequence = try StateLayout.sequence(decoding: k, what: "outbox key")
            let entry = try OutboxEntry(decoding: v)
            resend.append(OutgoingMessage(topic: entry.topic, partition: entry.partition, key: entry.key,
                                          value: entry.value, token: sequence))
            return true
        }
        unacknowledged = resend.count
        return resend
    }

    /// Frames emitted per frames partition as of the last commit, read from the store the
    /// first time. State from a version without counts: a partition with frames has an
    /// unknown count (-1), and its checkpoints anchor the head alone.
    mutating func chainCounts(in store: StateStore) throws -> [Int64] {
        if let chainCounts { return chainCounts }
        let heads = chainHeads
        let loaded = try store.read { txn in
            try heads.indices.map { p in
                try txn.get(.meta, StateLayout.Meta.chainCount(p)).map(StateLayout.int64) ?? (heads[p].isEmpty ? 0 : -1)
            }
        }
        chainCounts = loaded
        return loaded
    }

    /// Adds the batch's frames on `framesTopic` to the chain counts; nil if it wrote none.
    /// The caller must have read the counts (`chainCounts(in:)`).
    mutating func countPendingFrames(on framesTopic: String) -> [Int64]? {
        guard var counts = chainCounts else { preconditionFailure("chain counts not loaded") }
        var changed = false
        // Read in place: binding each entry copied it (a retain of its topic, key and frame).
        for i in pending.indices where pending[i].entry.kind == .frame && pending[i].entry.topic == framesTopic {
            let partition = Int(pending[i].entry.partition)
            if counts[partition] >= 0 { counts[partition] += 1 }
            changed = true
        }
        guard changed else { return nil }
        chainCounts = counts
        return counts
    }
}
