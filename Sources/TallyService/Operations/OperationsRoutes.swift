import Foundation
import Hummingbird
import TallyIndex

/// Health, readiness and Prometheus metrics of `tally serve` (docs/METRICS.md).
/// `/healthz`: the process answers. `/readyz`: the frame index is open and has read every
/// partition of the frames topic to its end at least once (503 with the reason otherwise).
enum OperationsRoutes {
    /// Why the index is not ready yet, with what an operator needs to tell a slow start from
    /// a stuck one.
    static func catchingUp(_ status: FrameIndexFollower.Status) -> String {
        var parts = ["partitions read to their end: \(status.partitionsAtEnd) of \(status.partitions)"]
        if let check = status.watermarkCheck { parts.append(check) }
        if let poll = status.lastPoll {
            parts.append("last poll \(String(format: "%.1f", Date().timeIntervalSince(poll))) s ago")
        } else {
            parts.append("no poll yet; the follower is \(status.phase) since \(String(format: "%.1f", Date().timeIntervalSince(status.phaseSince))) s")
        }
        return "the frame index is catching up with the frames topic (" + parts.joined(separator: "; ") + ")"
    }

    static func register(on router: Router<TallyRequestContext>, service: ServiceContext) {
        router.get("/healthz") { _, _ -> Response in Response.json(#"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ -> Response in
            guard let follower = service.follower else {
                return Response.json(#"{"status":"not ready","reason":"no frame index"}"#, status: .serviceUnavailable)
            }
            // Not caught up by the follower's own account: have the broker's high watermarks
            // asked (at most once a second, off this thread), so readiness never hangs on a
            // missing end event or on a stuck follower thread.
            follower.confirmCaughtUpInBackground()
            let status = follower.current
            guard status.caughtUp else {
                let reason = status.lastError ?? Self.catchingUp(status)
                return Response.json(JSONValue.object([("status", .string("not ready")), ("reason", .string(reason))]).text,
                                     status: .serviceUnavailable)
            }
            return Response.json(#"{"status":"ready"}"#)
        }
        router.get("/metrics") { _, _ -> Response in
            var text = PrometheusText()
            if let index = service.index, let follower = service.follower {
                let counts = try index.counts()
                text.gauge("tally_index_frames", "Frames in the index (latest revision per frame id).", Double(counts.frames))
                text.gauge("tally_index_revisions", "Frame revisions in the index.", Double(counts.revisions))
                text.counter("tally_index_records_total", "Records read from the frames topic.", Double(counts.records))
                text.counter("tally_index_duplicates_total", "Resent frames dropped (same id, revision and bytes).", Double(counts.duplicates))
                text.counter("tally_index_conflicts_total", "Resent frames that differ from the first copy (not indexed).", Double(counts.conflicts))
                text.counter("tally_index_malformed_total", "Records of the frames topic that are not frames.", Double(counts.malformed))
                let status = follower.current
                text.gauge("tally_index_caught_up", "1 once every frames partition was read to its end.", status.caughtUp ? 1 : 0)
                text.counter("tally_index_batches_total", "Batches indexed since the start.", Double(status.batches))
                if let poll = status.lastPoll {
                    text.gauge("tally_index_last_poll_age_seconds", "Seconds since the index follower last returned from a poll of the frames topic.",
                               Date().timeIntervalSince(poll))
                }
                text.histogram("tally_index_commit_duration_seconds", "Per batch of the frames topic: indexing it and committing (LMDB).",
                               status.commitLatency)
                if let lag = try? follower.lag() {
                    text.header("tally_index_consumer_lag", "Records of the frames topic not yet indexed, per partition.", type: "gauge")
                    for (partition, value) in lag.sorted(by: { $0.key < $1.key }) {
                        text.sample("tally_index_consumer_lag", labels: ["partition": String(partition)], Double(value))
                    }
                }
            }
            return Response(status: .ok, headers: [.contentType: PrometheusText.contentType],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text.output)))
        }
    }
}
