import Foundation
import Hummingbird
import TallyCore
import TallyEngine
import TallyKafka
import TallyRater
import TallyRuntime

/// What the rater thread last reported (about every second), read by scrapes on other threads.
public final class RaterMetricsSnapshot: @unchecked Sendable {
    private let lock = NSLock()
    private var observation: RaterObservation?

    public init() {}

    /// Called on the rater thread with `RaterService.observe()`.
    public func update(_ observation: RaterObservation) {
        lock.withLock { self.observation = observation }
    }

    var current: RaterObservation? { lock.withLock { observation } }
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
            snapshot.current == nil
                ? Response.json(#"{"status":"not ready","reason":"the rater has not completed its first batch"}"#, status: .serviceUnavailable)
                : Response.json(#"{"status":"ready"}"#)
        }
        router.get("/metrics") { _, _ -> Response in
            let text = render(snapshot.current, wallNow: WallClock.now(), lag: { try lag(of: $0, kafka: kafka) })
            return Response(status: .ok, headers: [.contentType: PrometheusText.contentType],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "tally-run"),
                              onServerRunning: { channel in onListening("http://\(host):\(channel.localAddress?.port ?? port)") })
        // `run()`, not `runService()`: the rater owns SIGTERM/SIGINT (StopSignal) and drains itself.
        Task.detached { try? await app.run() }
    }

    static func render(_ state: RaterObservation?, wallNow: EventTime,
                       lag: ([PartitionPosition]) throws -> [(PartitionPosition, Int64)]) -> String {
        var text = PrometheusText()
        guard let state else { return text.output }
        let c = state.counters
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
        renderClocks(state, wallNow: wallNow, into: &text)
        text.histogram("tally_commit_duration_seconds", "Per batch: writing and committing the state transaction (LMDB).", state.commitLatency)
        text.histogram("tally_close_duration_seconds", "Per batch: closing and pricing the windows due.", state.closeLatency)
        if let book = state.ruleBook {
            text.header("tally_rule_book_version", "Offset of the last rule event the pricer folded (-1: none); head: hash of the chain.", type: "gauge")
            text.sample("tally_rule_book_version", labels: ["head": book.head], Double(book.version ?? -1))
            text.gauge("tally_rule_book_events", "Rule events accepted into the pricer's rule book.", Double(book.acceptedEvents))
        }
        if let group = state.group { renderGroup(group, into: &text) }
        if let lags = try? lag(state.positions) {
            text.header("tally_consumer_lag", "Input records not yet read, per partition (high watermark − next offset).", type: "gauge")
            for (position, value) in lags {
                text.sample("tally_consumer_lag", labels: ["topic": position.topic, "partition": String(position.partition)], Double(value))
            }
        }
        return text.output
    }

    /// Event-time lag: the wall clock minus each partition's event clock, and minus the closing
    /// clock (their minimum, which windows close on). Absent while a clock is not set.
    static func renderClocks(_ state: RaterObservation, wallNow: EventTime, into text: inout PrometheusText) {
        func seconds(_ clock: EventTime) -> Double { Double(wallNow.micros - clock.micros) / 1_000_000 }
        text.header("tally_partition_event_lag_seconds", "Wall clock minus the partition's event clock (its latest sample time, or idle advance).", type: "gauge")
        for reading in state.clocks {
            guard let clock = reading.clock else { continue }
            text.sample("tally_partition_event_lag_seconds", labels: ["topic": reading.topic, "partition": String(reading.partition)], seconds(clock))
        }
        if let closing = state.closingClock {
            text.gauge("tally_watermark_lag_seconds", "Wall clock minus the closing clock (the minimum of the partition clocks).", seconds(closing))
        }
    }

    /// A rater in a group (`tally run --group`, docs/SCALE.md): what it owns and what moved.
    static func renderGroup(_ group: GroupObservation, into text: inout PrometheusText) {
        text.gauge("tally_group_assigned_partitions", "Input partitions this rater owns (one task each).", Double(group.assigned.count))
        text.header("tally_group_partition_assigned", "1 for each input partition this rater owns.", type: "gauge")
        for p in group.assigned {
            text.sample("tally_group_partition_assigned", labels: ["topic": group.inputTopic, "partition": String(p)], 1)
        }
        text.counter("tally_group_rebalances_total", "Rebalances served (assignments and revocations).", Double(group.rebalances))
        text.counter("tally_group_changelog_records_restored_total", "Changelog records applied to task caches on assignment.",
                     Double(group.restoredRecords))
        text.counter("tally_group_restore_seconds_total", "Time spent restoring tasks on assignment.", Double(group.restoreMillis) / 1000)
        text.header("tally_group_restore_remaining_records", "Changelog records still to read, per partition being restored.", type: "gauge")
        for r in group.restoring {
            text.sample("tally_group_restore_remaining_records", labels: ["topic": r.topic, "partition": String(r.partition)], Double(r.remaining))
        }
    }

    static func lag(of positions: [PartitionPosition], kafka: KafkaConfig) throws -> [(PartitionPosition, Int64)] {
        let admin = try KafkaAdmin(config: kafka)
        return try positions.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }.map { position in
            let marks = try admin.watermarks(topic: position.topic, partition: position.partition, timeoutMs: 2_000)
            return (position, max(0, marks.high - max(position.offset, marks.low)))
        }
    }
}
