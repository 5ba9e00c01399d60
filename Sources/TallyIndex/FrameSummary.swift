import TallyCore

/// A frame's latest revision as the index's compact summary record gives it back: every
/// field summaries, reports and the dashboard read, without the frame's JSON. Texts come from
/// the index's string table (shared, not copied per frame); groupby and metadata stay as
/// interned id pairs and are looked up by key on demand.
public struct FrameSummary: RatedFrameFields, Sendable {
    public var frameId: String
    public var revision: Int
    public var scope: String
    public var windowStart: EventTime
    public var windowEnd: EventTime
    public var quantity: ExactDecimal
    public var price: ExactDecimal
    let names: [String]
    let fields: SummaryRecord.Fields
    /// groupby pairs, then metadata pairs: key id, value id, …
    let pairs: [UInt32]

    public var scopeKind: String { names[Int(fields.scopeKind)] }
    public var metric: String { names[Int(fields.metric)] }
    public var service: String { names[Int(fields.service)] }
    public var resource: String { names[Int(fields.resource)] }
    public var user: String { names[Int(fields.user)] }
    public var unit: String { names[Int(fields.unit)] }
    public var currency: String { names[Int(fields.currency)] }
    public var status: String { names[Int(fields.status)] }
    public var scopeName: String? { fields.scopeName == 0 ? nil : names[Int(fields.scopeName)] }

    public func groupbyValue(_ key: String) -> String? { lookup(key, in: 0..<Int(fields.groupbyCount)) }
    public func metadataValue(_ key: String) -> String? {
        lookup(key, in: Int(fields.groupbyCount)..<(pairs.count / 2))
    }
    public var groupby: [String: String] { dictionary(0..<Int(fields.groupbyCount)) }
    public var metadata: [String: String] { dictionary(Int(fields.groupbyCount)..<(pairs.count / 2)) }

    private func lookup(_ key: String, in range: Range<Int>) -> String? {
        for i in range where names[Int(pairs[2 * i])] == key { return names[Int(pairs[2 * i + 1])] }
        return nil
    }

    private func dictionary(_ range: Range<Int>) -> [String: String] {
        var out: [String: String] = [:]
        for i in range { out[names[Int(pairs[2 * i])]] = names[Int(pairs[2 * i + 1])] }
        return out
    }
}
