import TallyCore
import TallyEngine
import TallyRuntime
import TallyWire

/// The rater's latest checkpoint of the frames chains (`kafka.checkpoints_topic`): per
/// frames partition, how many frames it emitted and the last one's content hash, and
/// its closing clock then.
public struct FramesCheckpoint: Sendable {
    public var offset: Int64
    public var clock: EventTime?
    public var anchors: [StreamRater.ChainAnchor]

    /// The latest anchor of every frames partition among `records` (nil if there is no
    /// checkpoint); unreadable records are returned as problems. A checkpoints topic belongs
    /// to one frames topic (the pair is configured together); the record's `frames_topic`
    /// member is for people reading it.
    ///
    /// One rater checkpoints every partition at once; raters in a group (docs/SCALE.md)
    /// each checkpoint the partition of their task. So each partition's anchor comes from
    /// the latest checkpoint naming it, and the clock is the earliest of those
    /// checkpoints' clocks: a window is surely closed only once every writer's clock
    /// passed it (verify does not know which task owned a missing window).
    public static func latest(in records: [TopicIO.Record]) -> (FramesCheckpoint?, [String]) {
        var anchors: [Int32: (anchor: StreamRater.ChainAnchor, clock: EventTime?, offset: Int64)] = [:]
        var unreadable: [String] = []
        for r in records {
            guard case let .object(m)? = try? CanonicalJSONParser.parse(r.value),
                  m["schema"] == .string(StreamRater.checkpointSchema), case let .array(parts)? = m["partitions"] else {
                unreadable.append("checkpoint offset \(r.offset): not a \(StreamRater.checkpointSchema) record")
                continue
            }
            var clock: EventTime?
            if case let .string(c)? = m["clock"] { clock = try? TimestampParser.parse(c) }
            for p in parts {
                guard case let .object(o) = p, case let .integer(partition)? = o["partition"], case let .integer(count)? = o["count"],
                      case let .string(head)? = o["head"] else { continue }
                anchors[Int32(partition)] = (StreamRater.ChainAnchor(partition: Int32(partition), count: count, head: head), clock, r.offset)
            }
        }
        guard !anchors.isEmpty else { return (nil, unreadable) }
        let sources = anchors.values
        let clocks = sources.map(\.clock)
        let clock = clocks.contains { $0 == nil } ? nil : clocks.compactMap { $0 }.min()
        let offset = sources.map(\.offset).max()!
        return (FramesCheckpoint(offset: offset, clock: clock, anchors: anchors.keys.sorted().map { anchors[$0]!.anchor }), unreadable)
    }

    public static func read(config: ServiceConfig) throws -> (FramesCheckpoint?, [String]) {
        latest(in: try TopicIO.readAll(topic: config.checkpointsTopic, bootstrapServers: config.bootstrapServers))
    }
}

extension StreamRater.ChainAnchor {
    /// Parses `PARTITION:COUNT:HASH` (`tally verify --expected-head`).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let p = Int32(parts[0]), let c = Int64(parts[1]), c >= -1 else {
            throw ReplayError("--expected-head \(text): expected PARTITION:COUNT:HASH, as `tally run` prints it on a frames_head line")
        }
        self.init(partition: p, count: c, head: String(parts[2]))
    }
}

extension EmittedFrames {
    /// The links of each partition's chain in offset order: byte-identical resends of a
    /// (frame id, revision) are not links (the rater counted each frame once).
    var chainLinks: [Int32: [FrameRecord]] {
        var out: [Int32: [FrameRecord]] = [:]
        var seen: [String: [UInt8]] = [:]
        for f in records {
            guard let p = f.partition else { continue }
            let key = "\(f.frameId)#\(f.revision)"
            if seen[key] == f.bytes { continue }
            seen[key] = f.bytes
            out[p, default: []].append(f)
        }
        return out
    }

    /// What is wrong with the frames topic's tail given an anchor: fewer links than the
    /// anchor counts (the tail is lost), or another frame where the anchor's head should be.
    func anchorProblem(_ anchor: StreamRater.ChainAnchor, source: String) -> FrameVerification.Problem? {
        let links = chainLinks[anchor.partition] ?? []
        let place = "frames partition \(anchor.partition)"
        if anchor.count < 0 {
            // Count unknown: the head must still be on the partition.
            guard !anchor.head.isEmpty, !links.contains(where: { $0.contentHash == anchor.head }) else { return nil }
            return .init(kind: .tailLost, frameId: "-", revision: 0, place: place,
                         detail: "the head \(anchor.head) that \(source) records is not on the partition: its tail is lost")
        }
        guard anchor.count > 0 else { return nil }
        if links.count < anchor.count {
            return .init(kind: .tailLost, frameId: "-", revision: 0, place: place,
                         detail: "holds \(links.count) frame(s) but \(source) records \(anchor.count) ending with \(anchor.head): "
                            + "the last \(anchor.count - Int64(links.count)) frame(s) are missing")
        }
        let at = links[Int(anchor.count) - 1]
        if at.contentHash != anchor.head {
            return .init(kind: .tailLost, frameId: at.frameId, revision: at.revision, place: place + " offset \(at.offset ?? -1)",
                         detail: "frame number \(anchor.count) has content hash \(at.contentHash) but \(source) says \(anchor.head)")
        }
        return nil
    }
}
