import TallyCore

/// A frame id (32 ASCII bytes) as four big-endian words: compared without making a String,
/// in the same order as the id's text.
public struct FrameIdKey: Comparable, Hashable, Sendable {
    var words: (UInt64, UInt64, UInt64, UInt64)

    init(bytes: some Collection<UInt8>) {
        var w: [UInt64] = [0, 0, 0, 0]
        for (i, byte) in bytes.prefix(32).enumerated() { w[i / 8] |= UInt64(byte) << UInt64(56 - 8 * (i % 8)) }
        words = (w[0], w[1], w[2], w[3])
    }

    init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    public static func < (a: FrameIdKey, b: FrameIdKey) -> Bool { a.words < b.words }
    public static func == (a: FrameIdKey, b: FrameIdKey) -> Bool { a.words == b.words }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3)
    }

    var text: String {
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            let word = i < 8 ? words.0 : i < 16 ? words.1 : i < 24 ? words.2 : words.3
            bytes[i] = UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (i % 8)))
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What one `summaries` read shares between its frames: the string table as of its snapshot
/// and every frame's groupby/metadata id pairs, so a frame holds one reference, not arrays.
final class SummaryBatch: Sendable {
    let names: [String]
    let pairs: [UInt32]
    init(names: [String], pairs: [UInt32]) { self.names = names; self.pairs = pairs }
}

/// A frame's latest revision as the index's compact summary record gives it back: every
/// field summaries, reports and the dashboard read, without the frame's JSON. Texts come from
/// the index's string table (shared, not copied per frame); groupby and metadata stay as
/// interned id pairs and are looked up by key on demand.
public struct FrameSummary: RatedFrameFields, Sendable {
    public var frameIdKey: FrameIdKey
    public var revision: Int
    public var scope: String
    public var windowStart: EventTime
    public var windowEnd: EventTime
    public var quantity: ExactDecimal
    public var price: ExactDecimal
    let fields: SummaryRecord.Fields
    let batch: SummaryBatch

    public var frameId: String { frameIdKey.text }
    public var scopeKind: String { batch.names[Int(fields.scopeKind)] }
    public var metric: String { batch.names[Int(fields.metric)] }
    public var service: String { batch.names[Int(fields.service)] }
    public var resource: String { batch.names[Int(fields.resource)] }
    public var user: String { batch.names[Int(fields.user)] }
    public var unit: String { batch.names[Int(fields.unit)] }
    public var currency: String { batch.names[Int(fields.currency)] }
    public var status: String { batch.names[Int(fields.status)] }
    public var scopeName: String? { fields.scopeName == 0 ? nil : batch.names[Int(fields.scopeName)] }

    private var groupbyPairs: Range<Int> { fields.pairStart..<(fields.pairStart + Int(fields.groupbyCount)) }
    private var metadataPairs: Range<Int> {
        (fields.pairStart + Int(fields.groupbyCount))..<(fields.pairStart + Int(fields.groupbyCount) + Int(fields.metadataCount))
    }

    public func groupbyValue(_ key: String) -> String? { lookup(key, in: groupbyPairs) }
    public func metadataValue(_ key: String) -> String? { lookup(key, in: metadataPairs) }
    public var groupby: [String: String] { dictionary(groupbyPairs) }
    public var metadata: [String: String] { dictionary(metadataPairs) }

    private func lookup(_ key: String, in range: Range<Int>) -> String? {
        for i in range where batch.names[Int(batch.pairs[2 * i])] == key { return batch.names[Int(batch.pairs[2 * i + 1])] }
        return nil
    }

    private func dictionary(_ range: Range<Int>) -> [String: String] {
        var out: [String: String] = [:]
        for i in range { out[batch.names[Int(batch.pairs[2 * i])]] = batch.names[Int(batch.pairs[2 * i + 1])] }
        return out
    }
}

extension IndexedFrame {
    public var frameIdKey: FrameIdKey { FrameIdKey(bytes: frameId.utf8) }
}
