import Foundation
import TallyCore
import TallyRuntime

extension EmittedFrames {
    /// The latest emitted revision (corrections included: what a consumer bills) of each
    /// frame id of `request`'s range, as summaries. The frames topic is read one fetched
    /// batch at a time and each record is let go once summarised, so a replay holds one
    /// small summary per frame id, not the topic. Records that are not frames are skipped
    /// (verify reports them).
    public static func latestSummaries(config: ServiceConfig, request: ReplayRequest) throws -> [String: EmittedFrameSummary] {
        var latest = LatestSummaries(request: request)
        try PartitionReader.forEachRecord(of: config.framesTopic, bootstrapServers: config.bootstrapServers) { partition, _, value in
            latest.add(value, partition: partition)
        }
        return latest.byFrameId
    }

    /// Starts `latestSummaries` on a thread of its own, so that the frames topic is read
    /// while a replay folds its input (two cores: the fold is the longer); the function
    /// returned waits for it and gives its result.
    public static func summarising(config: ServiceConfig, request: ReplayRequest) -> () throws -> [String: EmittedFrameSummary] {
        let work = BackgroundWork { try latestSummaries(config: config, request: request) }
        return { try work.value() }
    }

    /// The same summaries from records at hand, in topic order.
    public static func latestSummaries(records: [TopicIO.Record], request: ReplayRequest) -> [String: EmittedFrameSummary] {
        var latest = LatestSummaries(request: request)
        for r in records { r.value.withUnsafeBytes { latest.add($0, partition: r.partition) } }
        return latest.byFrameId
    }
}

/// Keeps, per frame id of a request's range, the first record of its highest revision
/// (records come in partition and offset order, as `EmittedFrames.latest` takes them).
struct LatestSummaries {
    let request: ReplayRequest
    var byFrameId: [String: EmittedFrameSummary] = [:]

    init(request: ReplayRequest) { self.request = request }

    /// Reads only the members a summary needs (`FrameRecord(summaryOf:)`): the frame's
    /// explanation, lineage and metadata, most of its bytes, are checked but never built.
    /// `partition`: the frames partition it was read from (the window's chain).
    mutating func add(_ bytes: UnsafeRawBufferPointer, partition: Int32) {
        guard let record = try? FrameRecord(summaryOf: bytes) else { return }
        var summary = EmittedFrameSummary(record)
        summary.partition = partition
        guard request.selects(summary), (byFrameId[summary.frameId]?.revision ?? 0) < summary.revision else { return }
        byFrameId[summary.frameId] = summary
    }
}

/// Runs `work` on a thread of its own; `value()` waits for it and returns or throws its result.
final class BackgroundWork<T>: @unchecked Sendable {
    private var result: Result<T, Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping () throws -> T) {
        let thread = Thread { [self] in
            result = Result { try work() }
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The result, once `work` has finished (the semaphore's wait orders the read after the write).
    func value() throws -> T {
        done.wait()
        done.signal()  // a second call returns at once
        return try result!.get()
    }
}
