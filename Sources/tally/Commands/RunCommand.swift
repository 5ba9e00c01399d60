import ArgumentParser
import Foundation
import TallyEngine
import TallyKafka
import TallyRuntime
import TallyService
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

    func run() throws {
        let service: RaterService
        do {
            _ = try readUserFile(config, what: "configuration file")
            let settings = try ServiceConfig.load(path: config)
            _ = try readUserFile(settings.metricsFile, what: "metrics file")
            let metrics = try MetricsConfigLoader.load(contentsOf: settings.metricsFile)
            service = try RaterService(config: settings, metrics: metrics) { store in
                try PricerFactory.make(config: settings, store: store) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
        StopSignal.install()
        var options = RaterService.Options(untilDrained: untilDrained)
        options.log = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let printProgress = progress
        let snapshot = RaterMetricsSnapshot()
        options.progress = { counters, open in
            snapshot.update(service.observe())
            if printProgress {
                FileHandle.standardError.write(Data("tally: \(counters.recordsIn) records, \(counters.samplesFolded) samples folded, \(open) open windows, \(counters.framesEmitted) frames\n".utf8))
            }
        }
        if let listen = service.config.metricsListen {
            var kafka = KafkaConfig(bootstrapServers: service.config.bootstrapServers)
            for (key, value) in service.config.kafkaProperties { kafka[key] = value }
            do {
                try RaterMetricsServer.start(listen: listen, snapshot: snapshot, kafka: kafka) { url in
                    FileHandle.standardError.write(Data("tally run: metrics on \(url)\n".utf8))
                }
            } catch { throw CommandFailure("engine.metrics_listen: \(error)") }
        }
        let counters: Counters
        do {
            counters = try service.run(options: options) { StopSignal.isRequested }
        } catch {
            // Exit at once: releasing the service would destroy its Kafka clients, which
            // waits for an unresponsive broker (up to socket.timeout.ms) — what matters is
            // durable already (state and outbox are committed in LMDB).
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            Foundation.exit(1)
        }
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
        print("timing_ms " + timing.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }
}
