import TallyCore
import TallyIndex

/// What `RatedSummary` sums: one frame (compact summary or decoded JSON), or one rollup cell
/// (many frames whose grouping values are equal, with their quantities and prices summed).
protocol SummaryTerm {
    func value(of key: String) -> String?
    var windowStart: EventTime { get }
    var windowEnd: EventTime { get }
    var quantity: ExactDecimal { get }
    var price: ExactDecimal { get }
}

extension FrameSummary: SummaryTerm {}
extension IndexedFrame: SummaryTerm {}

extension RollupCell: SummaryTerm {
    /// The grouping and filter keys a rollup cell can answer: the ones whose value is one of
    /// the cell's dimensions. Any other key (resource, user, groupby/metadata keys) needs
    /// the frame records.
    static let answerableKeys: Set<String> = ["type", "res_type", "metric", "project_id", "tenant_id", "scope_id",
                                              "service", "unit", "currency"]

    /// `RatedFrameFields.value(of:)` for the keys above, in the same order of cases (a scope
    /// kind named like another key wins the same way).
    func value(of key: String) -> String? {
        switch key {
        case "type", "res_type", "metric": return metric
        case "project_id", "tenant_id", "scope_id", scopeKind: return scope
        case "service": return service
        case "unit": return unit
        case "currency": return currency
        default: return nil
        }
    }
}

extension RatedSummary {
    /// The summary of the scopes' frames in `[begin, end)`: from the index's rollups when every
    /// grouping and filter key is one a cell answers (and no sum overflowed), else from the
    /// compact records of every frame. Both give the same rows (RollupTests).
    static func compute(index: FrameIndex, scopes: Set<String>?, begin: EventTime, end: EventTime, groupby: [String],
                        filters: [String: Set<String>]) throws -> RatedSummary {
        if answerableFromRollups(groupby: groupby, filters: filters),
           let cells = try index.rollupCells(scopes: scopes, from: begin, to: end,
                                             byWindow: groupby.last(where: { timeKeys.contains($0) }) == "time") {
            return RatedSummary(frames: cells, begin: begin, end: end, groupby: groupby, filters: filters)
        }
        return RatedSummary(frames: try index.summaries(scopes: scopes, from: begin, to: end), begin: begin, end: end,
                            groupby: groupby, filters: filters)
    }

    static func answerableFromRollups(groupby: [String], filters: [String: Set<String>]) -> Bool {
        groupby.allSatisfy { timeKeys.contains($0) || RollupCell.answerableKeys.contains($0) }
            && filters.keys.allSatisfy { RollupCell.answerableKeys.contains($0) }
    }
}
