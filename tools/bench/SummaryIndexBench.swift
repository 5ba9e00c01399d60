import Foundation
import TallyCore
import TallyIndex
import TallyService

/// Issue 11 item 6: a frame index holding `frames` frames (hourly windows of 14 resources per
/// project over 31 days, so 1 M frames ≈ 96 projects), its ingest rate in batches of 2,048
/// (what the follower commits per poll), and `/v2/summary` for one project's month grouped
/// by type: p50 / p99 over repeated queries (target ≤ 20 ms p99). Called by main.
func runSummaryIndexBench(frames total: Int) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-bench-index-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let index = try FrameIndex(path: directory.path)
    defer { index.close() }

    let month = EventTime(micros: 1_793_491_200_000_000)  // 2026-11-01T00:00:00Z
    let hours = 31 * 24, resources = 14
    let services = ["instance", "volume.size", "cpu", "network.outgoing.bytes", "image.size", "ip.floating", "radosgw.objects.size"]
    var batch: [FrameIndex.Record] = []
    batch.reserveCapacity(2048)
    var written = 0, offset: Int64 = 0
    let clock = ContinuousClock()
    let ingest = try clock.measure {
        while written < total {
            let project = written / (hours * resources), slot = written % (hours * resources)
            let resource = slot / hours, hour = slot % hours
            let start = EventTime(micros: month.micros + Int64(hour) * 3_600_000_000)
            let service = services[resource % services.count]
            batch.append(FrameIndex.Record(partition: Int32(written % 3), offset: offset,
                                           value: frameBytes(n: written, project: "project-\(project)", service: service,
                                                             resource: "res-\(project)-\(resource)", start: start)))
            written += 1; offset += 1
            if batch.count == 2048 || written == total { try index.apply(batch); batch.removeAll(keepingCapacity: true) }
        }
    }
    let ingestSeconds = seconds(ingest)
    print("summary: indexed \(total) frames in \(format(ingestSeconds * 1000)) ms: \(Int(Double(total) / ingestSeconds)) frames/s")

    let end = EventTime(micros: month.micros + Int64(hours) * 3_600_000_000)
    var samples: [Double] = []
    var rows: [SummaryComputation.Row] = []
    for i in 0..<200 {
        let project = "project-\(i % max(1, total / (hours * resources)))"
        let elapsed = try clock.measure {
            rows = try SummaryComputation.rows(index: index, scopes: [project], begin: month, end: end, groupby: ["type"])
        }
        samples.append(seconds(elapsed) * 1000)
    }
    samples.sort()
    let p50 = samples[samples.count / 2], p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
    print("summary: one project's month grouped by type (\(hours * resources) frames, \(rows.count) types): "
          + "p50 \(format(p50)) ms, p99 \(format(p99)) ms (target p99 ≤ 20 ms)")
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
