import TallyCore
import TallyWire

/// A correction command on the corrections topic (`tally.corrections`, one partition):
/// what `tally replay --apply` asks the rater to emit. The rater is the only writer of
/// the frames topic, so it turns each item into a correction revision in its own
/// transaction, revision sequence and hash chain (docs/REPLAY.md).
///
/// An apply with many changed frames is split into parts (one record each, so a record
/// stays far below the broker's message limit); the rater executes each part once,
/// identified by (replay id, part).
public struct CorrectionCommand: Sendable, Equatable {
    public static let schema = "tally.correction-command/1"

    /// One frame to correct: the replayed content, and the revision the replay compared
    /// against (the latest on the frames topic when the replay ran).
    public struct Item: Sendable, Equatable {
        public var frameId: String
        public var baseRevision: Int
        /// The replayed frame's body without the members that record emission history
        /// (revision, previous_price, price_delta, correction, the two hashes, output_partition):
        /// the rater sets them.
        public var body: [String: CanonicalJSON]
        /// The frames partition the replay read the window's latest revision from: its
        /// chain, so in group mode the task that owns it executes the item (nil in
        /// commands written before group mode executed corrections).
        public var partition: Int32?
        public init(frameId: String, baseRevision: Int, body: [String: CanonicalJSON], partition: Int32? = nil) {
            self.frameId = frameId; self.baseRevision = baseRevision; self.partition = partition
            var b = body
            for key in CorrectionCommand.historyMembers { b[key] = nil }
            self.body = b
        }
    }

    /// Members of a frame that the rater, not the replay, decides: the emission history,
    /// and the partition of the chain it is emitted on (a replay computes the single
    /// rater's scope hash; in group mode the chain is the task's, docs/SCALE.md).
    public static let historyMembers = ["revision", "previous_price", "price_delta", "correction", "content_hash", "previous_hash",
                                        "output_partition"]

    public var replayId: String
    public var part: Int
    public var parts: Int
    public var author: String
    public var reason: String
    /// The rules the replay priced with: `log@V` (the rule log through offset V) or
    /// `file@SHA256` (a candidate file, whose text is `ruleset`), so verify can rebuild them.
    public var rules: String
    public var ruleset: String?
    public var from: String
    public var to: String
    public var items: [Item]

    public init(replayId: String, part: Int, parts: Int, author: String, reason: String, rules: String, ruleset: String?,
                from: String, to: String, items: [Item]) {
        self.replayId = replayId; self.part = part; self.parts = parts; self.author = author; self.reason = reason
        self.rules = rules; self.ruleset = ruleset; self.from = from; self.to = to; self.items = items
    }

    public var correction: CanonicalJSON {
        Frame.Correction(replayId: replayId, author: author, reason: reason).json
    }

    public var json: CanonicalJSON {
        .object([
            "schema": .string(Self.schema), "replay_id": .string(replayId), "part": .integer(Int64(part)),
            "parts": .integer(Int64(parts)), "author": .string(author), "reason": .string(reason),
            "rules": .string(rules), "ruleset": ruleset.map { .string($0) } ?? .null,
            "from": .string(from), "to": .string(to),
            "frames": .array(items.map { item in
                var entry: [String: CanonicalJSON] = ["frame_id": .string(item.frameId), "base_revision": .integer(Int64(item.baseRevision)),
                                                      "body": .object(item.body)]
                if let partition = item.partition { entry["partition"] = .integer(Int64(partition)) }
                return .object(entry)
            }),
        ])
    }

    public var bytes: [UInt8] { json.bytes }
}

/// What the rater did with one part of a correction command, written back to the
/// corrections topic in the same transaction as the corrections themselves, so that
/// `tally replay --apply` can wait for it and `tally verify` can read it.
public struct CorrectionReceipt: Sendable, Equatable {
    public static let schema = "tally.correction-receipt/1"

    public struct Skipped: Sendable, Equatable {
        public var frameId: String
        public var reason: String
        public init(frameId: String, reason: String) { self.frameId = frameId; self.reason = reason }
    }

    public var replayId: String
    public var part: Int
    public var parts: Int
    /// Offset of the command on the corrections topic.
    public var commandOffset: Int64
    /// frame id → the correction's revision.
    public var corrected: [String: Int]
    public var skipped: [Skipped]
    /// In group mode, the frames partition (= input partition) of the task that wrote this
    /// receipt: it answers for the part's items of that partition only. Nil: a single
    /// rater's receipt, answering for the whole part.
    public var partition: Int32?

    public init(replayId: String, part: Int, parts: Int, commandOffset: Int64, corrected: [String: Int], skipped: [Skipped],
                partition: Int32? = nil) {
        self.replayId = replayId; self.part = part; self.parts = parts; self.commandOffset = commandOffset
        self.corrected = corrected; self.skipped = skipped; self.partition = partition
    }

    public var json: CanonicalJSON {
        var members: [String: CanonicalJSON] = [
            "schema": .string(Self.schema), "replay_id": .string(replayId), "part": .integer(Int64(part)),
            "parts": .integer(Int64(parts)), "command_offset": .integer(commandOffset),
            "corrected": .object(corrected.mapValues { .integer(Int64($0)) }),
            "skipped": .array(skipped.map { .object(["frame_id": .string($0.frameId), "reason": .string($0.reason)]) }),
        ]
        if let partition { members["partition"] = .integer(Int64(partition)) }
        return .object(members)
    }
}

/// A record of the corrections topic, parsed.
public enum CorrectionsRecord: Sendable {
    case command(CorrectionCommand)
    case receipt(CorrectionReceipt)

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    public init(bytes: [UInt8], offset: Int64) throws {
        func bad(_ why: String) -> Malformed { Malformed(description: "corrections record at offset \(offset): \(why)") }
        guard case let .object(m) = try CanonicalJSONParser.parse(bytes) else { throw bad("not a JSON object") }
        func string(_ k: String) throws -> String {
            guard case let .string(s)? = m[k] else { throw bad("member \(k) is missing or not a string") }
            return s
        }
        func integer(_ k: String, in o: [String: CanonicalJSON]) throws -> Int64 {
            guard case let .integer(i)? = o[k] else { throw bad("member \(k) is missing or not an integer") }
            return i
        }
        switch try string("schema") {
        case CorrectionCommand.schema:
            guard case let .array(frames)? = m["frames"] else { throw bad("member frames is missing or not an array") }
            let items = try frames.map { f -> CorrectionCommand.Item in
                guard case let .object(o) = f, case let .string(id)? = o["frame_id"], case let .object(body)? = o["body"] else {
                    throw bad("a frames entry lacks frame_id or body")
                }
                var partition: Int32?
                if case let .integer(p)? = o["partition"] { partition = Int32(truncatingIfNeeded: p) }
                return CorrectionCommand.Item(frameId: id, baseRevision: Int(try integer("base_revision", in: o)), body: body,
                                              partition: partition)
            }
            var ruleset: String?
            if case let .string(s)? = m["ruleset"] { ruleset = s }
            self = .command(CorrectionCommand(
                replayId: try string("replay_id"), part: Int(try integer("part", in: m)), parts: Int(try integer("parts", in: m)),
                author: try string("author"), reason: try string("reason"), rules: try string("rules"), ruleset: ruleset,
                from: try string("from"), to: try string("to"), items: items))
        case CorrectionReceipt.schema:
            guard case let .object(corrected)? = m["corrected"], case let .array(skipped)? = m["skipped"] else {
                throw bad("a receipt lacks corrected or skipped")
            }
            var revisions: [String: Int] = [:]
            for (id, v) in corrected { if case let .integer(r) = v { revisions[id] = Int(r) } }
            let skips = skipped.compactMap { s -> CorrectionReceipt.Skipped? in
                guard case let .object(o) = s, case let .string(id)? = o["frame_id"], case let .string(r)? = o["reason"] else { return nil }
                return CorrectionReceipt.Skipped(frameId: id, reason: r)
            }
            var partition: Int32?
            if case let .integer(p)? = m["partition"] { partition = Int32(truncatingIfNeeded: p) }
            self = .receipt(CorrectionReceipt(replayId: try string("replay_id"), part: Int(try integer("part", in: m)),
                                              parts: Int(try integer("parts", in: m)),
                                              commandOffset: try integer("command_offset", in: m),
                                              corrected: revisions, skipped: skips, partition: partition))
        case let other:
            throw bad("unknown schema \(other)")
        }
    }
}
