import Foundation
import TallyCore
import TallyIndex
import TallyService
import TallyThreads

/// Issue 11 item 6: a frame index holding `frames` frames (hourly windows of 14 resources per
/// project over 31 days, so 1 M frames ≈ 96 projects), its ingest rate in batches of 2,048
/// (what the follower commits per poll), and `/v2/summary` for one project's month grouped
/// by type: p50 / p99 over repeated queries (target ≤ 20 ms p99), from the index's compact
/// summary records ("after") and, fewer times, from each frame's JSON ("before"). Called by main.
func runSummaryIndexBench(frames total: Int) throws {
    let hours = 31 * 24, resources = 14
    let bench = try BenchIndex(frames: total, hours: hours, resourcesPerProject: resources)
    defer { bench.remove() }
    print("summary: indexed \(total) frames in \(format(bench.ingestSeconds * 1000)) ms wall, \(format(bench.ingestCPUSeconds * 1000)) ms CPU: "
          + "\(Int(Double(total) / bench.ingestSeconds)) frames/s wall, \(Int(Double(total) / bench.ingestCPUSeconds)) frames/s CPU "
          + "(frame, revision, offsets, compact record and rollups per transaction of 2,048)")

    let projects = max(1, total / (hours * resources))
    var rows: [SummaryComputation.Row] = []
    let after = try percentiles(runs: 200) { i in
        rows = try SummaryComputation.rows(index: bench.index, scopes: ["project-\(i % projects)"], begin: bench.month,
                                           end: bench.end, groupby: ["type"])
    }
    var scannedRows: [SummaryComputation.Row] = []
    let scan = try percentiles(runs: 50) { i in
        scannedRows = try SummaryComputation.rowsScanningRecords(index: bench.index, scopes: ["project-\(i % projects)"], begin: bench.month,
                                                                 end: bench.end, groupby: ["type"])
    }
    var decodedRows: [SummaryComputation.Row] = []
    let before = try percentiles(runs: 20) { i in
        decodedRows = try SummaryComputation.rowsDecodingFrames(index: bench.index, scopes: ["project-\(i % projects)"],
                                                                begin: bench.month, end: bench.end, groupby: ["type"])
    }
    // The timed runs end on different projects: compare one project's rows explicitly.
    rows = try SummaryComputation.rows(index: bench.index, scopes: ["project-0"], begin: bench.month, end: bench.end, groupby: ["type"])
    decodedRows = try SummaryComputation.rowsDecodingFrames(index: bench.index, scopes: ["project-0"], begin: bench.month,
                                                            end: bench.end, groupby: ["type"])
    scannedRows = try SummaryComputation.rowsScanningRecords(index: bench.index, scopes: ["project-0"], begin: bench.month,
                                                             end: bench.end, groupby: ["type"])
    let same = rows.map(\.rate) == decodedRows.map(\.rate) && rows.map(\.groups) == decodedRows.map(\.groups)
        && rows.map(\.rate) == scannedRows.map(\.rate) && rows.map(\.groups) == scannedRows.map(\.groups)
    print("summary: one project's month grouped by type (\(hours * resources) frames, \(rows.count) types): "
          + "rollups \(after.text) (200 queries; target p99 ≤ 20 ms); "
          + "scanning the compact records \(scan.text) (50 queries); "
          + "decoding each frame's JSON \(before.text) (20 queries); "
          + "same rows: \(same ? "yes" : "NO")")
}

/// Issue 12: the overview page of 30 days × 1,000 resources (10 projects of 100 resources,
/// hourly windows: 720,000 frames), all projects, daily buckets, rendered from the index's
/// compact summaries: p50 / p99 (target < 1 s), and from each frame's JSON for comparison.
func runDashboardBench(resources: Int) throws {
    let hours = 30 * 24
    let total = hours * resources
    let bench = try BenchIndex(frames: total, hours: hours, resourcesPerProject: max(1, resources / 10))
    defer { bench.remove() }
    print("dashboard: indexed \(total) frames (\(resources) resources × \(hours) hourly windows) in "
          + "\(format(bench.ingestSeconds * 1000)) ms")
    let end = EventTime(micros: bench.month.micros + Int64(hours) * 3_600_000_000)
    var html = ""
    let after = try percentiles(runs: 20) { _ in
        html = try OverviewRendering.html(index: bench.index, begin: bench.month, end: end, bucket: "day")
    }
    var scannedHTML = ""
    let scan = try percentiles(runs: 5) { _ in
        scannedHTML = try OverviewRendering.htmlScanningRecords(index: bench.index, begin: bench.month, end: end, bucket: "day")
    }
    // Decoding 720,000 frames' JSON takes minutes a render: once, and not with --quick.
    var decodedHTML = html
    let before = quick ? nil : try percentiles(runs: 1) { _ in
        decodedHTML = try OverviewRendering.htmlDecodingFrames(index: bench.index, begin: bench.month, end: end, bucket: "day")
    }
    print("dashboard: overview of 30 days × \(resources) resources (all projects, daily buckets, \(html.utf8.count / 1024) KiB): "
          + "rollups \(after.text) (20 renders; target < 1 s); "
          + "scanning the compact records \(scan.text) (5 renders); "
          + (before.map { "decoding each frame's JSON \($0.text) (1 render); " } ?? "")
          + "same page: \(html == decodedHTML && html == scannedHTML ? "yes" : "NO")")
}

/// A temporary frame index filled with `frames` synthetic frames: project by project,
/// resource by resource, `hours` hourly windows from 2026-11-01, in batches of 2,048.
final class BenchIndex {
    let directory: URL
    let index: FrameIndex
    let month = EventTime(micros: 1_793_491_200_000_000)  // 2026-11-01T00:00:00Z
    let end: EventTime
    private(set) var ingestSeconds = 0.0
    private(set) var ingestCPUSeconds = 0.0

    init(frames total: Int, hours: Int, resourcesPerProject resources: Int) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-bench-index-\(UUID().uuidString)")
        index = try FrameIndex(path: directory.path)
        end = EventTime(micros: month.micros + Int64(hours) * 3_600_000_000)
        let services = ["instance", "volume.size", "cpu", "network.outgoing.bytes", "image.size", "ip.floating", "radosgw.objects.size"]
        var batch: [FrameIndex.Record] = []
        batch.reserveCapacity(2048)
        var written = 0
        let cpuStart = threadCPUNanos()
        let ingest = try ContinuousClock().measure {
            while written < total {
                let project = written / (hours * resources), slot = written % (hours * resources)
                let resource = slot / hours, hour = slot % hours
                let start = EventTime(micros: month.micros + Int64(hour) * 3_600_000_000)
                let service = services[resource % services.count]
                batch.append(FrameIndex.Record(partition: Int32(written % 3), offset: Int64(written / 3),
                                               value: frameBytes(n: written, project: "project-\(project)", service: service,
                                                                 resource: "res-\(project)-\(resource)", start: start)))
                written += 1
                if batch.count == 2048 || written == total { try index.apply(batch); batch.removeAll(keepingCapacity: true) }
            }
        }
        ingestSeconds = seconds(ingest)
        ingestCPUSeconds = Double(threadCPUNanos() - cpuStart) / 1e9
    }

    func remove() {
        index.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs `body` `runs` times: p50 and p99 of the wall time and of the thread's CPU time, in
/// milliseconds (on the shared machine the wall time mostly measures the scheduler).
func percentiles(runs: Int, _ body: (Int) throws -> Void) throws -> Timing {
    var wall: [Double] = [], cpu: [Double] = []
    let clock = ContinuousClock()
    for i in 0..<runs {
        let cpuStart = threadCPUNanos()
        wall.append(seconds(try clock.measure { try body(i) }) * 1000)
        cpu.append(Double(threadCPUNanos() - cpuStart) / 1e6)
    }
    return Timing(wall: wall, cpu: cpu)
}

struct Timing {
    var wall: [Double]
    var cpu: [Double]
    static func p(_ values: [Double], _ q: Int) -> Double {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, sorted.count * q / 100)]
    }
    var text: String {
        "p50 \(format(Self.p(wall, 50))) ms, p99 \(format(Self.p(wall, 99))) ms wall; "
            + "p50 \(format(Self.p(cpu, 50))) ms, p99 \(format(Self.p(cpu, 99))) ms CPU"
    }
}

private func frameBytes(n: Int, project: String, service: String, resource: String, start: EventTime) -> [UInt8] {
    let id = String(n, radix: 16)
    let frameId = String(repeating: "0", count: 32 - id.count) + id
    let end = EventTime(micros: start.micros + 3_600_000_000)
    return Array("""
    {"currency":"EUR","frame_id":"\(frameId)","groupby":{"id":"\(resource)","project_id":"\(project)"},"metadata":{},\
    "metric":"\(service)","price":"0.0\(n % 97 + 1)","quantity":"\(n % 13 + 1)","resource_id":"\(resource)","revision":1,\
    "scope":{"id":"\(project)","kind":"project_id"},"service":"\(service)","status":"rated","unit":"u",\
    "window":{"end":"\(Timestamps.iso8601(end))","start":"\(Timestamps.iso8601(start))"}}
    """.utf8)
}

private func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
private func format(_ value: Double) -> String { String(format: "%.2f", value) }
