import TallyCore
import TallyWire

/// A frame read back as its canonical member tree (from the frames topic, or out of a
/// replay's engine), with the members replay and verify look at. Re-encoding the tree
/// gives the frame's canonical bytes, so hashes can be recomputed and members replaced.
public struct FrameRecord: Sendable {
    public var members: [String: CanonicalJSON]
    /// The record's bytes as stored (or as the engine wrote them).
    public var bytes: [UInt8]
    /// Where it was read from the frames topic (nil for a replay's own frames).
    public var partition: Int32?
    public var offset: Int64?

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    public init(bytes: [UInt8], partition: Int32? = nil, offset: Int64? = nil) throws {
        let place = partition.map { "partition \($0) offset \(offset ?? -1)" } ?? "replay output"
        guard case let .object(members) = try CanonicalJSONParser.parse(bytes) else {
            throw Malformed(description: "frame at \(place) is not a JSON object")
        }
        try self.init(checking: members, bytes: bytes, partition: partition, offset: offset, place: place)
    }

    /// The members a summary reads (`EmittedFrameSummary`), and nothing else.
    static let summaryKeys = ["frame_id", "revision", "price", "quantity", "window", "scope", "metric", "resource_id"]

    /// A frame's `summaryKeys` members only, read from `bytes` in place: the rest of the
    /// frame is checked as `init(bytes:)` checks it but not built, so the same records are
    /// refused (`CanonicalJSONParser.members`). `bytes` is left empty. Where the selective
    /// reader is unsure, the whole tree is parsed, as `init(bytes:)` does.
    init(summaryOf raw: UnsafeRawBufferPointer) throws {
        guard let members = try CanonicalJSONParser.members(of: raw, keeping: Self.summaryKeys) else {
            self = try FrameRecord(bytes: Array(raw))
            return
        }
        try self.init(checking: members, bytes: [], partition: nil, offset: nil, place: "replay output")
    }

    private init(checking members: [String: CanonicalJSON], bytes: [UInt8], partition: Int32?, offset: Int64?,
                 place: String) throws {
        self.members = members
        self.bytes = bytes
        self.partition = partition
        self.offset = offset
        guard case .string = members["frame_id"], case .integer = members["revision"],
              price != nil, quantity != nil, windowStart != nil else {
            throw Malformed(description: "frame at \(place) lacks frame_id, revision, price, quantity or window.start")
        }
    }

    /// A frame value as the engine sealed it into `bytes`: its member tree is built from the
    /// value (the same tree parsing `bytes` gives), not parsed back.
    public init(frame: Frame, bytes: [UInt8], partition: Int32? = nil, offset: Int64? = nil) {
        var members: [String: CanonicalJSON] = [:]
        if case let .object(body) = frame.body { members = body }
        members["content_hash"] = .string(frame.contentHash)
        members["previous_hash"] = .string(frame.previousHash)
        self.members = members
        self.bytes = bytes
        self.partition = partition
        self.offset = offset
    }

    func string(_ key: String) -> String? { if case let .string(s)? = members[key] { return s } else { return nil } }
    func nested(_ key: String, _ inner: String) -> CanonicalJSON? {
        if case let .object(o)? = members[key] { return o[inner] } else { return nil }
    }

    public var frameId: String { string("frame_id") ?? "" }
    public var revision: Int { if case let .integer(i)? = members["revision"] { return Int(i) } else { return 0 } }
    public var metric: String { string("metric") ?? "" }
    public var resource: String { string("resource_id") ?? "" }
    public var scope: String { if case let .string(s)? = nested("scope", "id") { return s } else { return "" } }
    public var price: ExactDecimal? { string("price").flatMap(ExactDecimal.init) }
    public var quantity: ExactDecimal? { string("quantity").flatMap(ExactDecimal.init) }
    public var windowStartText: String { if case let .string(s)? = nested("window", "start") { return s } else { return "" } }
    public var windowStart: EventTime? { try? TimestampParser.parse(windowStartText) }
    public var contentHash: String { string("content_hash") ?? "" }
    public var previousHash: String { string("previous_hash") ?? "" }
    public var outputPartition: Int32? {
        if case let .integer(i)? = members["output_partition"] { return Int32(truncatingIfNeeded: i) } else { return nil }
    }
    public var isCorrection: Bool { members["correction"] != nil }
    /// `rule_book.version`: the rule-log offset the frame was priced with (nil: none named).
    public var ruleBookVersion: Int64? { if case let .integer(v)? = nested("rule_book", "version") { return v } else { return nil } }

    /// The canonical body: every member but the two hashes.
    public var body: [String: CanonicalJSON] {
        var b = members
        b["content_hash"] = nil
        b["previous_hash"] = nil
        return b
    }

    /// SHA-256 of the canonical body, as `content_hash` should be.
    public var computedContentHash: String { SHA256.hex(CanonicalJSON.object(body).bytes) }

    /// The record value for `body` chained after `previousHash`.
    static func seal(_ body: [String: CanonicalJSON], previousHash: String) -> (bytes: [UInt8], contentHash: String) {
        var members = body
        let hash = SHA256.hex(CanonicalJSON.object(body).bytes)
        members["content_hash"] = .string(hash)
        members["previous_hash"] = .string(previousHash)
        return (CanonicalJSON.object(members).bytes, hash)
    }
}
