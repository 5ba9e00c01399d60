import ArgumentParser
import Foundation
import Logging
import TallyEngine
import TallyKafka
import TallyRater
import TallyRuntime
import TallyService
import TallyThreads
import TallyWire

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the rater until SIGTERM or SIGINT, then drain and exit.")

    @Option(name: .long, help: "The service configuration file (docs/CONFIG.md).")
    var config: String

    @Flag(name: .long, help: "Stop once every input partition is read to its end and every frame is acknowledged; the end of input closes every window.")
    var untilDrained = false

    @Flag(name: .long, help: "Print progress every second on standard error.")
    var progress = false

    @Flag(name: .long, help: "Run as one member of the consumer group rater.group_id, owning the input partitions the group gives it (docs/SCALE.md); same as rater.group: true.")
    var group = false

    @Option(name: .long, help: "This rater's stable name in its group (overrides rater.instance); a restart under the same name takes its partitions back at once.")
    var instance: String?

    func run() throws {
        if try runInGroupIfAsked() { return }
        let service: RaterService
        do {
            _ = try readUserFile(config, what: "configuration file")
            let settings = try ServiceConfig.load(path: config)
            TallyLogging.bootstrap(format: settings.logFormat, level: settings.logLevel)
            _ = try readUserFile(settings.metricsFile, what: "metrics file")
            let metrics = try MetricsConfigLoader.load(contentsOf: settings.metricsFile)
            service = try RaterService(config: settings, metrics: metrics) { store in
                try PricerFactory.make(config: settings, store: store) { RunLog.logger.info("\($0)") }
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
        StopSignal.install()
        var options = RaterService.Options(untilDrained: untilDrained)
        // Offset resets, consumer and producer problems, corrections executed.
        options.log = { RunLog.logger.notice("\($0)") }
        options.ruleEvent = { RuleChangeLog.log(RunLog.logger, eventBytes: $0, offset: $1, outcome: $2) }
        RunLog.logger.info("tally run: started", metadata: [
            "inputs": .string(service.config.inputs.map(\.topic).joined(separator: ",")),
            "state": .string(service.config.statePath), "bootstrap": .string(service.config.bootstrapServers)])
        let printProgress = progress
        let snapshot = RaterMetricsSnapshot()
        options.progress = { counters, open in
            snapshot.update(service.observe())
            if printProgress {
                RunLog.logger.info("tally: \(counters.recordsIn) records, \(counters.samplesFolded) samples folded, \(open) open windows, \(counters.framesEmitted) frames")
            }
        }
        if let listen = service.config.metricsListen {
            var kafka = KafkaConfig(bootstrapServers: service.config.bootstrapServers)
            for (key, value) in service.config.kafkaProperties { kafka[key] = value }
            do {
                try RaterMetricsServer.start(listen: listen, snapshot: snapshot, kafka: kafka) { url in
                    RunLog.logger.info("tally run: metrics on \(url)")
                }
            } catch { throw CommandFailure("engine.metrics_listen: \(error)") }
        }
        // The rating loop holds this thread until it stops; named, it reads as
        // `tally-rater` in `thread_cpu_ms` and in top/perf instead of the thread pool's name.
        ThreadName.setCurrent("tally-rater")
        let counters: Counters
        do {
            counters = try service.run(options: options) { StopSignal.isRequested }
        } catch {
            // Exit at once: releasing the service would destroy its Kafka clients, which
            // waits for an unresponsive broker (up to socket.timeout.ms) — what matters is
            // durable already (state and outbox are committed in LMDB).
            RunLog.logger.error("Error: \(error)")
            Foundation.exit(1)
        }
        RunLog.logger.info("tally run: stopped cleanly", metadata: [
            "records_in": "\(counters.recordsIn)", "frames_out": "\(counters.framesEmitted)", "open_windows": "\(service.rater.openWindows)"])
        print("tally: stopped cleanly")
        for (name, value) in counters.rows { print("\(name) \(value)") }
        print("open_windows \(service.rater.openWindows)")
        print("offset_resets \(service.offsetResets)")
        print("consumer_errors \(service.consumerErrors)")
        print("producer_recoveries \(service.producerRecoveries)")
        print("pending_messages \(service.rater.pendingMessages)")
        // The anchors of the frames chains, for `tally verify --expected-head`.
        for anchor in try service.rater.chainAnchors() { print("frames_head \(anchor.text)") }
        var timing = service.timing
        for (phase, nanos) in service.rater.phaseNanos { timing["commit." + phase] = Int64(nanos / 1_000_000) }
        if service.store.commitsBehind { timing["commit_wait"] = Int64(service.store.commitWaitNanos / 1_000_000) }
        print("timing_ms " + timing.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        print("thread_cpu_ms " + ThreadCPU.millisByName().map { "\($0.name)=\($0.millis)" }.joined(separator: " "))
    }
}

/// The logger of `tally run` (handler chosen by `log.format` / `log.level` once the
/// configuration is read).
enum RunLog {
    static let logger = Logger(label: "tally.run")
}
