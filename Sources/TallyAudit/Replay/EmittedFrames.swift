import TallyCore
import TallyRuntime

/// The frames topic read back whole, in partition and offset order: what the rater
/// (and earlier replays) emitted.
public struct EmittedFrames {
    /// Every readable frame record, in topic order per partition.
    public private(set) var records: [FrameRecord] = []
    /// Records that are not frames (unparseable), by "partition/offset".
    public private(set) var malformed: [String] = []
    /// The last record of each partition (its content hash chains the next frame).
    public private(set) var lastHash: [Int32: String] = [:]

    public init(records stored: [TopicIO.Record]) {
        for r in stored {
            do {
                let frame = try FrameRecord(bytes: r.value, partition: r.partition, offset: r.offset)
                records.append(frame)
                lastHash[r.partition] = frame.contentHash
            } catch {
                malformed.append("\(r.partition)/\(r.offset): \(error)")
            }
        }
    }

    public static func read(config: ServiceConfig) throws -> EmittedFrames {
        EmittedFrames(records: try TopicIO.readAll(topic: config.framesTopic, bootstrapServers: config.bootstrapServers))
    }

    /// The highest revision of each frame id (corrections included): what a consumer bills.
    public var latest: [String: FrameRecord] {
        var out: [String: FrameRecord] = [:]
        for f in records where (out[f.frameId]?.revision ?? 0) < f.revision { out[f.frameId] = f }
        return out
    }

    /// Every copy of the highest revision of each frame id that is not a correction:
    /// what the rater emitted from the input. More than one copy when a revision was
    /// sent twice; copies that differ are all returned, so each can be checked.
    public var latestRated: [String: [FrameRecord]] {
        var out: [String: [FrameRecord]] = [:]
        for f in records where !f.isCorrection {
            let current = out[f.frameId]?.first?.revision ?? 0
            if f.revision > current { out[f.frameId] = [f] } else if f.revision == current { out[f.frameId]!.append(f) }
        }
        return out
    }

    /// One break of the per-partition hash chain.
    public struct ChainBreak: Sendable, CustomStringConvertible {
        public var partition: Int32
        public var offset: Int64
        public var frameId: String
        public var revision: Int
        public var detail: String
        public var description: String { "partition \(partition) offset \(offset): frame \(frameId) revision \(revision): \(detail)" }
    }

    /// Walks each partition's chain: every frame's `previous_hash` must be the content
    /// hash of the frame before it on that partition (empty for the first), its own
    /// `content_hash` must be the hash of its body, and it must sit on its `output_partition`.
    /// A byte-identical resend of an earlier (frame id, revision) is skipped: after a
    /// crash the rater resends its outbox exactly, and the chain goes on from the original.
    public func chainBreaks() -> [ChainBreak] {
        var breaks: [ChainBreak] = []
        var head: [Int32: String] = [:]
        var seen: [String: [UInt8]] = [:]
        for f in records {
            guard let partition = f.partition, let offset = f.offset else { continue }
            func fail(_ detail: String) {
                breaks.append(ChainBreak(partition: partition, offset: offset, frameId: f.frameId, revision: f.revision, detail: detail))
            }
            let key = "\(f.frameId)#\(f.revision)"
            if let earlier = seen[key], earlier == f.bytes { continue }
            if seen[key] != nil { fail("a second, different copy of this revision") }
            seen[key] = f.bytes
            if f.computedContentHash != f.contentHash { fail("content_hash \(f.contentHash) is not the hash of its body (\(f.computedContentHash))") }
            if f.outputPartition != partition { fail("output_partition \(f.outputPartition.map(String.init) ?? "missing") but read from partition \(partition)") }
            let expected = head[partition] ?? ""
            if f.previousHash != expected {
                fail("previous_hash \(f.previousHash.isEmpty ? "(empty)" : f.previousHash) but the frame before it has \(expected.isEmpty ? "(none)" : expected)")
            }
            head[partition] = f.contentHash
        }
        return breaks
    }
}
