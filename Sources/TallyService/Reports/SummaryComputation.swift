import TallyCore
import TallyIndex

/// What `GET /v2/summary` computes for a caller's scopes, without HTTP: `tally-bench summary`
/// times exactly this (the index read and the grouping), so its figures are the route's.
public enum SummaryComputation {
    public struct Row: Sendable {
        public var groups: [String?]
        public var rate: String
    }

    public static func rows(index: FrameIndex, scopes: Set<String>, begin: EventTime, end: EventTime,
                            groupby: [String]) throws -> [Row] {
        let summary = try RatedSummary.compute(index: index, scopes: scopes, begin: begin, end: end, groupby: groupby, filters: [:])
        return summary.rows.map { Row(groups: $0.groups, rate: $0.rate.canonicalText) }
    }

    /// The same from every frame's compact record (what the route reads when the rollups
    /// cannot answer a grouping): the benchmark's record-scan figure, and a cross-check.
    public static func rowsScanningRecords(index: FrameIndex, scopes: Set<String>, begin: EventTime, end: EventTime,
                                           groupby: [String]) throws -> [Row] {
        let frames = try index.summaries(scopes: scopes, from: begin, to: end)
        let summary = RatedSummary(frames: frames, begin: begin, end: end, groupby: groupby, filters: [:])
        return summary.rows.map { Row(groups: $0.groups, rate: $0.rate.canonicalText) }
    }

    /// The same from each frame's JSON (what the route did before the compact records):
    /// the benchmark's "before" figure, and a cross-check of the rows.
    public static func rowsDecodingFrames(index: FrameIndex, scopes: Set<String>, begin: EventTime, end: EventTime,
                                          groupby: [String]) throws -> [Row] {
        let frames = try index.frames(scopes: scopes, from: begin, to: end)
        let summary = RatedSummary(frames: frames, begin: begin, end: end, groupby: groupby, filters: [:])
        return summary.rows.map { Row(groups: $0.groups, rate: $0.rate.canonicalText) }
    }
}
