import ArgumentParser
import Foundation
import TallyEngine
import TallyRater
import TallyKafka
import TallyRuntime
import TallyService
import TallyWire

extension RunCommand {
    /// `tally run --group` (or `rater.group: true`): the rater as a consumer-group member
    /// (`GroupRaterService`, docs/SCALE.md). Returns false when group mode is off.
    func runInGroupIfAsked() throws -> Bool {
        let service: GroupRaterService
        let settings: ServiceConfig
        do {
            _ = try readUserFile(config, what: "configuration file")
            var loaded = try ServiceConfig.load(path: config)
            guard group || loaded.raterGroup.enabled else { return false }
            if untilDrained { throw CommandFailure("--until-drained is not available in group mode: partitions move between raters") }
            if let instance {
                guard !instance.isEmpty else { throw CommandFailure("--instance must not be empty") }
                loaded.raterGroup.instance = instance
            }
            settings = loaded
            TallyLogging.bootstrap(format: settings.logFormat, level: settings.logLevel)
            _ = try readUserFile(settings.metricsFile, what: "metrics file")
            let metrics = try MetricsConfigLoader.load(contentsOf: settings.metricsFile)
            // One pricer for every task, from the rule log; the service follows the log live.
            let pricer = try PricerFactory.make(config: settings, store: nil) { RunLog.logger.info("\($0)") }
            service = try GroupRaterService(config: settings, metrics: metrics, pricer: pricer)
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
        StopSignal.install()
        var options = GroupRaterService.Options()
        options.log = { RunLog.logger.notice("\($0)") }
        options.ruleEvent = { RuleChangeLog.log(RunLog.logger, eventBytes: $0, offset: $1, outcome: $2) }
        if progress {
            options.progress = { counters, open in
                RunLog.logger.info("tally: \(counters.recordsIn) records, \(counters.samplesFolded) samples folded, \(open) open windows, \(counters.framesEmitted) frames")
            }
        }
        if let listen = settings.metricsListen {
            let snapshot = RaterMetricsSnapshot()
            options.observe = { snapshot.update($0) }
            var kafka = KafkaConfig(bootstrapServers: settings.bootstrapServers)
            for (key, value) in settings.kafkaProperties { kafka[key] = value }
            do {
                try RaterMetricsServer.start(listen: listen, snapshot: snapshot, kafka: kafka) { url in
                    RunLog.logger.info("tally run: metrics on \(url)")
                }
            } catch { throw CommandFailure("engine.metrics_listen: \(error)") }
        }
        let counters: Counters
        do {
            counters = try service.run(options: options) { StopSignal.isRequested }
        } catch {
            // What was not committed is aborted by the broker (or fenced by the next owner of
            // the partition) and read again from the committed offsets.
            RunLog.logger.error("Error: \(error)")
            Foundation.exit(1)
        }
        print("tally: stopped cleanly")
        for (name, value) in counters.rows { print("\(name) \(value)") }
        print("rebalances \(service.rebalances)")
        print("changelog_records_restored \(service.restoredRecords)")
        print("restore_ms \(service.restoreMillis)")
        print("transactions_aborted \(service.transactionsAborted)")
        print("tasks_migrated \(service.tasksMigrated)")
        return true
    }
}
