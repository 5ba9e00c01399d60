/// A closing window's frame members as the engine holds them: interned symbols, the
/// window's value slots and strings that already exist (configuration, rule book), so
/// that sealing a frame builds no `Frame` value, no per-window `String` and no
/// dictionary (`FrameBuffer.seal(_:symbols:previousHash:)`). The bytes are the
/// same as `Frame.seal`'s for the same frame: FrameFieldsSealingTests and the
/// engine's frame-sink tests compare the two.
public struct FrameFields {
    public var revision: Int
    public var metric: String
    public var service: String
    public var scopeKind: String
    public var scope: Symbol
    /// `Symbol.none` writes null.
    public var project: Symbol
    public var user: Symbol
    public var resource: Symbol
    /// Which of `groupValues` go in `groupby` (and the frame id), under which names.
    public var groupbyLayout: FrameObjectLayout
    public var groupValues: [MetaValue]
    public var metadataLayout: FrameObjectLayout
    public var metadata: [MetaValue]
    public var windowStart: EventTime
    public var windowEnd: EventTime
    public var quantity: ExactDecimal
    public var unit: String
    public var price: ExactDecimal
    public var previousPrice: ExactDecimal
    public var currency: String
    public var status: Frame.Status
    public var explanation: Explanation
    public var ruleBookVersion: Int64?
    public var ruleBookHash: String?
    public var lineage: [LineageEntry]
    /// Lineage topic names, by `LineageEntry.topic`.
    public var topics: [String]
    public var sampleCount: Int64
    public var sampleDigest: SampleDigest
    public var engineVersion: String
    public var outputPartition: Int32

    public init(revision: Int, metric: String, service: String, scopeKind: String, scope: Symbol, project: Symbol,
                user: Symbol, resource: Symbol, groupbyLayout: FrameObjectLayout, groupValues: [MetaValue],
                metadataLayout: FrameObjectLayout, metadata: [MetaValue], windowStart: EventTime, windowEnd: EventTime,
                quantity: ExactDecimal, unit: String, price: ExactDecimal, previousPrice: ExactDecimal, currency: String,
                status: Frame.Status, explanation: Explanation, ruleBookVersion: Int64?, ruleBookHash: String?,
                lineage: [LineageEntry], topics: [String], sampleCount: Int64, sampleDigest: SampleDigest,
                engineVersion: String, outputPartition: Int32) {
        self.revision = revision; self.metric = metric; self.service = service; self.scopeKind = scopeKind
        self.scope = scope; self.project = project; self.user = user; self.resource = resource
        self.groupbyLayout = groupbyLayout; self.groupValues = groupValues
        self.metadataLayout = metadataLayout; self.metadata = metadata
        self.windowStart = windowStart; self.windowEnd = windowEnd; self.quantity = quantity; self.unit = unit
        self.price = price; self.previousPrice = previousPrice; self.currency = currency; self.status = status
        self.explanation = explanation; self.ruleBookVersion = ruleBookVersion; self.ruleBookHash = ruleBookHash
        self.lineage = lineage; self.topics = topics; self.sampleCount = sampleCount; self.sampleDigest = sampleDigest
        self.engineVersion = engineVersion; self.outputPartition = outputPartition
    }
}

/// Offsets of the records that fed a window, per input partition (`topic` indexes the
/// rater's inputs; `FrameFields.topics` names them).
public struct LineageEntry: Equatable, Sendable {
    public var topic: UInt16
    public var partition: Int32
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var samples: Int64
    public init(topic: UInt16, partition: Int32, firstOffset: Int64, lastOffset: Int64, samples: Int64) {
        self.topic = topic; self.partition = partition
        self.firstOffset = firstOffset; self.lastOffset = lastOffset; self.samples = samples
    }
}

/// A frame's `groupby` or `metadata` object for one metric, laid out once: member names
/// in canonical (byte) order, each already encoded as `,"name":` in one shared byte array
/// (a member's text is a range of it, so writing it retains nothing), with the value slot
/// it reads. A name given twice keeps its first slot (as the `Frame` value's dictionary
/// did). `idOrder` keeps the configuration's order, which the frame id hashes in.
public struct FrameObjectLayout: Sendable {
    struct Member: Sendable {
        /// `,"name":` at `keys[keyStart..<keyStart + keyCount]` (the first member skips the comma).
        var keyStart: Int32
        var keyCount: Int32
        var slot: Int
    }
    let sorted: [Member]
    let keys: [UInt8]
    /// (name, slot) in configuration order, duplicates included: the frame id's input.
    public let idOrder: [(name: String, slot: Int)]

    /// `names[i]` reads value slot `slots[i]`.
    public init(names: [String], slots: [Int]) {
        precondition(names.count == slots.count, "one slot per name")
        idOrder = Array(zip(names, slots)).map { (name: $0.0, slot: $0.1) }
        var firstSlot: [String: Int] = [:]
        for (name, slot) in zip(names, slots) where firstSlot[name] == nil { firstSlot[name] = slot }
        var keys: [UInt8] = []
        sorted = firstSlot.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { name in
            let start = keys.count
            keys.append(UInt8(ascii: ","))
            CanonicalJSON.writeString(name, into: &keys)
            keys.append(UInt8(ascii: ":"))
            return Member(keyStart: Int32(start), keyCount: Int32(keys.count - start), slot: firstSlot[name]!)
        }
        self.keys = keys
    }

    public static let empty = FrameObjectLayout(names: [], slots: [])
}
