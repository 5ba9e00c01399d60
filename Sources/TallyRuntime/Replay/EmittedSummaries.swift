import TallyCore

extension EmittedFrames {
    /// The latest emitted revision (corrections included: what a consumer bills) of each
    /// frame id of `request`'s range, as summaries. The frames topic is read one fetched
    /// batch at a time and each record is let go once summarised, so a replay holds one
    /// small summary per frame id, not the topic. Records that are not frames are skipped
    /// (verify reports them).
    public static func latestSummaries(config: ServiceConfig, request: ReplayRequest) throws -> [String: FrameSummary] {
        let ranges = try PartitionReader.plan(topic: config.framesTopic, bootstrapServers: config.bootstrapServers)
        var latest = LatestSummaries(request: request)
        try PartitionReader.forEach(ranges, bootstrapServers: config.bootstrapServers) { record, _ in
            latest.add(Array(record.value))
        }
        return latest.byFrameId
    }

    /// The same summaries from records at hand, in topic order.
    public static func latestSummaries(records: [TopicIO.Record], request: ReplayRequest) -> [String: FrameSummary] {
        var latest = LatestSummaries(request: request)
        for r in records { latest.add(r.value) }
        return latest.byFrameId
    }
}

/// Keeps, per frame id of a request's range, the first record of its highest revision
/// (records come in partition and offset order, as `EmittedFrames.latest` takes them).
struct LatestSummaries {
    let request: ReplayRequest
    var byFrameId: [String: FrameSummary] = [:]

    init(request: ReplayRequest) { self.request = request }

    mutating func add(_ bytes: [UInt8]) {
        guard let record = try? FrameRecord(bytes: bytes) else { return }
        let summary = FrameSummary(record)
        guard request.selects(summary), (byFrameId[summary.frameId]?.revision ?? 0) < summary.revision else { return }
        byFrameId[summary.frameId] = summary
    }
}
