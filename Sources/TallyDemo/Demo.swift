import Foundation
import TallyAudit
import TallyCore
import TallyEngine
import TallyKafka
import TallyRater
import TallyRuntime
import TallyWire

/// `tally demo`: a day of simulated usage for three projects through an embedded
/// broker (librdkafka's mock cluster), rated with the demo price list, printed
/// as a bill per project.
public enum Demo {
    /// `afterwards` runs once the demo is done, while its broker and state still exist
    /// (`tally demo --serve` serves the API over them until SIGTERM/SIGINT).
    public static func run(print say: (String) -> Void, afterwards: ((ServiceConfig) throws -> Void)? = nil) throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tally-demo-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try DemoFiles.metrics.write(toFile: work + "/metrics.yaml", atomically: true, encoding: .utf8)
        try DemoFiles.rules.write(toFile: work + "/rules.yaml", atomically: true, encoding: .utf8)

        // No rules file: the rater reads its rules from the rule log, seeded below.
        var config = ServiceConfig(bootstrapServers: cluster.bootstrapServers, statePath: work + "/state",
                                   metricsFile: work + "/metrics.yaml", rulesFile: nil)
        config.inputs = [.init(topic: "metering.sample", format: .ceilometer)]
        config.createTopics = false  // the mock cluster has no CreateTopics
        config.durableCommits = false
        config.replayReadsWholeTopics = true  // the mock cluster has no offsets_for_times
        try cluster.createTopic("metering.sample", partitions: 3)
        try cluster.createTopic(config.framesTopic, partitions: Int(config.framesPartitions))
        try cluster.createTopic(config.deadLetterTopic, partitions: 1)
        try cluster.createTopic(config.rulesTopic, partitions: 1)
        try cluster.createTopic(config.correctionsTopic, partitions: 1)
        try cluster.createTopic(config.checkpointsTopic, partitions: 1)

        // Yesterday, midnight to midnight UTC.
        let today = WallClock.now().micros / 86_400_000_000 * 86_400_000_000
        let simulator = UsageSimulator(seed: 2026, start: EventTime(micros: today - 86_400_000_000), hours: 24)
        let samples = simulator.samples()
        var records = CeilometerEncoder.records(samples, perRecord: 10)
        let bad = malformedRecords(from: samples)
        for (i, record) in bad.enumerated() { records.insert(record, at: min(records.count, (i + 1) * records.count / (bad.count + 1))) }
        records.insert(records[42], at: 43)  // a producer retry: the same record twice
        say("tally demo: \(simulator.projects.count) projects, \(simulator.instances.count) instances, \(simulator.volumes.count) volumes, one day polled every \(simulator.pollMinutes) minutes")
        say("  \(samples.count) samples in \(records.count) Ceilometer records (\(bad.count) malformed, 1 sent twice) → metering.sample")
        try TopicIO.produce(records, topic: "metering.sample", bootstrapServers: cluster.bootstrapServers, partitions: 3)

        // The price list enters as events on the rule log, backdated (with force) to
        // the start of the simulated day: the log is the only source of the rules.
        let seeded = try RuleLogClient(config: config).apply(
            try RulesetFile.parse(yaml: DemoFiles.rules), at: simulator.start, author: "tally-demo",
            reason: "demo price list", force: true, now: WallClock.now())
        say("  price list published to \(config.rulesTopic): \(seeded.filter(\.isAccepted).count) of \(seeded.count) rule events accepted")

        let metrics = try MetricsConfigLoader.load(contentsOf: config.metricsFile)
        // One rater at a time on the state directory: each run opens it, drains, closes it.
        let rateUntilDrained = {
            let service = try RaterService(config: config, metrics: metrics) { try PricerFactory.make(config: config, store: $0) }
            return try service.run(options: .init(untilDrained: true)) { false }
        }
        let started = WallClock.monotonicMillis()
        let counters = try rateUntilDrained()
        say("  rated in \(WallClock.monotonicMillis() - started) ms: \(counters.samplesFolded) samples folded, \(counters.samplesDuplicate) duplicates, \(counters.samplesDeadLettered) dead-lettered, \(counters.framesEmitted) frames")
        for (reason, n) in counters.deadLettersByReason.sorted(by: { $0.key < $1.key }) { say("    dead letter: \(reason) × \(n)") }

        var ledger = FrameLedger()
        for record in try TopicIO.readAll(topic: config.framesTopic, bootstrapServers: cluster.bootstrapServers) { ledger.add(record.value) }
        let end = simulator.start + TimeSpan.hours(Int64(simulator.hours))
        say("")
        for project in simulator.projects {
            say("Bill for \(project.name) (\(project.id)), \(Timestamps.iso8601(simulator.start)) – 24 h, as "
                + reportCommand(scope: project.id, from: simulator.start, to: end) + " prints it:")
            say(bill(ledger: ledger, scope: project.id, from: simulator.start, to: end))
            say("")
        }
        try priceChangeAfterTheFact(config: config, metrics: metrics, simulator: simulator, rate: { _ = try rateUntilDrained() },
                                    say: say)
        config.indexPath = work + "/index"
        config.apiAuth = .noauth
        try afterwards?(config)
    }

    /// One project's bill, from the same code as `tally report` (`UsageReport`): what
    /// `reportCommand(scope:from:to:)` prints against the same frames topic.
    public static func bill(ledger: FrameLedger, scope: String, from: EventTime, to: EventTime) -> String {
        UsageReport(ledger: ledger, from: from, to: to, scope: scope, grouping: .metric).table()
    }

    /// The `tally report` command that prints `bill(…)` (its `--config` names the demo's
    /// broker and frames topic; the embedded broker is gone when the demo ends).
    public static func reportCommand(scope: String, from: EventTime, to: EventTime, config: String = "CONFIG") -> String {
        "`tally report --config \(config) --scope \(scope) --group-by metric --from \(Timestamps.iso8601(from)) --to \(Timestamps.iso8601(to))`"
    }

    /// The audit story: m1.small turns out to have cost more from noon; the change is
    /// published backdated (with force), replayed as a dry run, applied as correction
    /// revisions by the rater (the only writer of the frames topic), and one corrected
    /// charge is traced back to its samples and rules. `rate` runs the rater until drained.
    static func priceChangeAfterTheFact(config: ServiceConfig, metrics: MetricsConfig, simulator: UsageSimulator,
                                        rate: () throws -> Void, say: (String) -> Void) throws {
        let noon = simulator.start + TimeSpan.hours(12)
        // CloudKitty 23's rules forbid ending a started rule in the past, so a change
        // after the fact is a new rule: a surcharge group for m1.small from noon.
        var rules = try RulesetFile.parse(yaml: DemoFiles.rules)
        rules.groups.append("amendment")
        rules.mappings.append(HashMapping(id: "m1-small-amendment", service: "instance", field: "flavor_name", value: "m1.small",
                                          type: .flat, cost: ExactDecimal("0.005")!, group: "amendment",
                                          validity: RuleValidity(start: noon)))
        say("Price change, after the fact: m1.small costs 0.005 more per hour (0.03) from \(Timestamps.iso8601(noon))")
        let outcomes = try RuleLogClient(config: config).apply(rules, at: noon, author: "finance@example.com",
                                                               reason: "contract amendment 2026-17", force: true, now: WallClock.now())
        say("  published backdated with --force: " + outcomes.map(\.description).joined(separator: "; "))

        let request = ReplayRequest(from: simulator.start, to: simulator.start + TimeSpan.hours(Int64(simulator.hours)))
        let replay = try Replay(config: config, metrics: metrics, request: request)
        say("  dry run (tally replay), per project:")
        say(ReplayReport.render(replay.diff, format: .table, detail: false))
        // No rater is running now: the command is queued, and the next run executes it.
        let queued = try replay.apply(author: "finance@example.com", reason: "contract amendment 2026-17", waitSeconds: 0)
        say("  applied (tally replay --apply): \(queued.requested) corrections queued on \(config.correctionsTopic) as replay \(queued.replayId)")
        try rate()
        let receipts = try CorrectionsLog.read(config: config).receipts(of: queued.replayId)
        let corrected = receipts.flatMap { $0.corrected.keys }.sorted()
        say("  the rater executed it: \(corrected.count) correction revisions emitted, \(receipts.flatMap(\.skipped).count) skipped")
        let again = try Replay(config: config, metrics: metrics, request: request).apply(author: "finance@example.com",
                                                                                          reason: "contract amendment 2026-17", waitSeconds: 0)
        say("  applied again: \(again.requested) corrections (nothing left to correct)")
        if let frameId = corrected.first {
            say("")
            say("Trace of one corrected charge (tally trace \(frameId)):")
            say(try FrameTrace.collect(frameID: frameId, config: config).text())
        }
    }

    /// One of each kind of bad record: the good samples beside a bad one are still rated.
    static func malformedRecords(from samples: [UsageSimulator.Sample]) -> [[UInt8]] {
        var negative = Array(samples[0..<3]); negative[1].volume = "-5"; negative[1].id = "negative-volume-sample"
        var unknown = samples[3]; unknown.metric = "disk.root.size"; unknown.id = "unknown-metric-sample"
        let truncated = Array(CeilometerEncoder.record(samples[4..<6], messageID: "truncated").dropLast(40))
        return [
            CeilometerEncoder.record(negative[...], messageID: "has-a-negative-volume"),
            CeilometerEncoder.record([unknown][...], messageID: "unknown-metric"),
            truncated,
            Array("{\"oslo.version\": \"2.0\", \"oslo.message\": 42}".utf8),
        ]
    }
}
