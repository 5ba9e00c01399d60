import Foundation
import Hummingbird
import TallyEngine
import TallyKafka

/// What the rater thread last reported (about every second), read by scrapes on other threads.
public final class RaterMetricsSnapshot: @unchecked Sendable {
    private let lock = NSLock()
    private var counters: Counters?
    private var openWindows = 0
    private var positions: [PartitionPosition] = []

    public init() {}

    /// Called on the rater thread with its counters, open windows and next offsets.
    public func update(counters: Counters, openWindows: Int, positions: [PartitionPosition]) {
        lock.withLock { self.counters = counters; self.openWindows = openWindows; self.positions = positions }
    }

    var current: (counters: Counters?, openWindows: Int, positions: [PartitionPosition]) {
        lock.withLock { (counters, openWindows, positions) }
    }
}

/// `/metrics`, `/healthz` and `/readyz` of `tally run` (`engine.metrics_listen`, off by
/// default), served on NIO's threads beside the rater's own thread. Ready once the rater has
/// reported after its first batches (its state is restored and its consumer is reading).
public enum RaterMetricsServer {
    /// Starts serving in the background; `onListening` receives the URL once bound.
    public static func start(listen: String, snapshot: RaterMetricsSnapshot, kafka: KafkaConfig,
                             onListening: @escaping @Sendable (String) -> Void) throws {
        let (host, port) = try TallyServer.parseListen(listen)
        let router = Router()
        router.get("/healthz") { _, _ -> Response in Response.json(#"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ -> Response in
            snapshot.current.counters == nil
                ? Response.json(#"{"status":"not ready","reason":"the rater has not completed its first batch"}"#, status: .serviceUnavailable)
                : Response.json(#"{"status":"ready"}"#)
        }
        router.get("/metrics") { _, _ -> Response in
            let text = render(snapshot.current, lag: { try lag(of: $0, kafka: kafka) })
            return Response(status: .ok, headers: [.contentType: PrometheusText.contentType],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "tally-run"),
                              onServerRunning: { channel in onListening("http://\(host):\(channel.localAddress?.port ?? port)") })
        // `run()`, not `runService()`: the rater owns SIGTERM/SIGINT (StopSignal) and drains itself.
        Task.detached { try? await app.run() }
    }

    static func render(_ state: (counters: Counters?, openWindows: Int, positions: [PartitionPosition]),
                       lag: ([PartitionPosition]) throws -> [(PartitionPosition, Int64)]) -> String {
        var text = PrometheusText()
        guard let c = state.counters else { return text.output }
        text.counter("tally_records_in_total", "Input records read.", Double(c.recordsIn))
        text.counter("tally_samples_in_total", "Samples decoded from the inputs.", Double(c.samplesIn))
        text.counter("tally_samples_folded_total", "Samples folded into a window.", Double(c.samplesFolded))
        text.counter("tally_samples_duplicate_total", "Samples dropped as duplicates.", Double(c.samplesDuplicate))
        text.counter("tally_samples_late_total", "Late samples folded into a closed window (a revision follows).", Double(c.samplesLate))
        text.counter("tally_samples_dead_lettered_total", "Samples sent to the dead-letter topic.", Double(c.samplesDeadLettered))
        text.header("tally_dead_letters_total", "Dead letters by reason.", type: "counter")
        for (reason, count) in c.deadLettersByReason.sorted(by: { $0.key < $1.key }) {
            text.sample("tally_dead_letters_total", labels: ["reason": reason], Double(count))
        }
        text.counter("tally_frames_out_total", "Frames emitted (every revision).", Double(c.framesEmitted))
        text.counter("tally_frames_revised_total", "Frames emitted as a later revision.", Double(c.framesRevised))
        text.counter("tally_windows_rating_failed_total", "Windows whose rating failed (price 0, status rating-failed).", Double(c.windowsRatingFailed))
        text.gauge("tally_open_windows", "Windows folded but not yet closed.", Double(state.openWindows))
        if let lags = try? lag(state.positions) {
            text.header("tally_consumer_lag", "Input records not yet read, per partition (high watermark − next offset).", type: "gauge")
            for (position, value) in lags {
                text.sample("tally_consumer_lag", labels: ["topic": position.topic, "partition": String(position.partition)], Double(value))
            }
        }
        return text.output
    }

    static func lag(of positions: [PartitionPosition], kafka: KafkaConfig) throws -> [(PartitionPosition, Int64)] {
        let admin = try KafkaAdmin(config: kafka)
        return try positions.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }.map { position in
            let marks = try admin.watermarks(topic: position.topic, partition: position.partition, timeoutMs: 2_000)
            return (position, max(0, marks.high - max(position.offset, marks.low)))
        }
    }
}
