import Foundation
import Glibc
import TallyCore
import TallyDemo
import TallyKafka
import TallyRuntime
import TallyTestSupport

/// Raters in a group on this machine (docs/SCALING.md): preload a keyed route topic of 6
/// partitions (Ceilometer records of one resource each, keyed by it, as `tally route`
/// leaves them), then for 1, 2 and 3 raters (`tally run --group`, each its own process,
/// a fresh group, state topic and frames topic each time) time from start until the
/// group's committed offsets reach the end, and report each rater's CPU time per sample
/// (wait4's user + system). Then the changelog: a rater with an empty state directory
/// restores all 6 partitions (restore time per MiB), and a second one joining with a
/// current cache (the rebalance pause: each task's restore of a current cache).
func runGroupBench(records recordCount: Int, tallyBinary: String) throws {
    let broker = try BrokerProcess.start()
    defer { broker.stop() }
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("tally-group-bench-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }

    // About 2,200 samples per 10-minute poll, 4 per instance and poll: records of ≤ 4 samples.
    let perPoll = 50 * 10 * 4 + 50 * 4
    let hours = max(1, (recordCount * 4 / perPoll + 5) / 6)
    let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - Int64(hours) - 2) * 3_600_000_000)
    let simulator = UsageSimulator(seed: 5, start: start, hours: hours, projects: 50, instancesPerProject: 10, volumesPerProject: 4)
    var records: [[UInt8]] = [], keys: [[UInt8]] = []
    var run: [UsageSimulator.Sample] = []
    var sampleCount = 0
    func flush() {
        guard let first = run.first else { return }
        records.append(CeilometerEncoder.records(run, perRecord: run.count, seed: UInt64(records.count + 1))[0])
        keys.append(Array("\(first.project)\u{1F}\(first.resource)".utf8))
        sampleCount += run.count
        run.removeAll()
    }
    for s in simulator.samples() {
        if records.count >= recordCount { break }
        if let last = run.last, last.resource != s.resource { flush() }
        run.append(s)
    }
    flush()
    let partitions: Int32 = 6
    let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers))
    _ = try admin.createTopic("tally.samples", partitions: Int(partitions))
    try TopicIO.produce(records, keys: keys, topic: "tally.samples", bootstrapServers: broker.bootstrapServers)
    let ends = try (0..<partitions).map { try admin.watermarks(topic: "tally.samples", partition: $0).high }
    print("preloaded \(records.count) keyed records, \(sampleCount) samples, \(records.reduce(0) { $0 + $1.count } / 1_048_576) MiB "
        + "on \(partitions) partitions (\(ends.map(String.init).joined(separator: "/")) records)")
    try DemoFiles.metrics.write(to: work.appendingPathComponent("metrics.yaml"), atomically: true, encoding: .utf8)
    try DemoFiles.rules.write(to: work.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)

    /// A configuration of its own per round (topics, group), with state directory `state`.
    func config(round: Int, state: String) throws -> String {
        let path = work.appendingPathComponent("tally-\(round)-\(state).yaml").path
        try """
        kafka:
          bootstrap: \(broker.bootstrapServers)
          inputs: [{topic: tally.samples, format: ceilometer}]
          frames_topic: frames.\(round)
          deadletter_topic: deadletter.\(round)
          checkpoints_topic: checkpoints.\(round)
          corrections_topic: corrections.\(round)
          frames_partitions: \(partitions)
        state: {path: \(state)}
        metrics: metrics.yaml
        rules: rules.yaml
        engine: {batch_samples: 20000, batch_ms: 1000}
        rater: {group: true, group_id: bench-\(round), state_topic: state.\(round), max_poll_interval_ms: 12000}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
    func log(_ name: String) -> String { work.appendingPathComponent("\(name).log").path }
    func text(_ name: String) -> String { (try? String(contentsOfFile: log(name), encoding: .utf8)) ?? "" }
    func committed(_ round: Int) throws -> [Int64] {
        let probe = try KafkaConsumer(config: broker.clientConfig, groupID: "bench-\(round)")
        defer { probe.close() }
        return try probe.committedOffsets((0..<partitions).map { ("tally.samples", $0) }, timeoutMs: 10_000)
            .sorted { $0.partition < $1.partition }.map(\.offset)
    }
    let seconds = { (t: timeval) in Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
    /// Stops a rater (SIGINT: it commits its tasks) and returns its CPU seconds.
    func stop(_ pid: pid_t) -> Double {
        kill(pid, SIGINT)
        var status: Int32 = 0
        var usage = rusage()
        _ = wait4(pid, &status, 0, &usage)
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    print("raters  wall(s)  samples/wall-s  | per rater: CPU s, samples_in, µs CPU per sample  | broker CPU s")
    for round in 1...3 {
        let brokerBefore = ProcessCPU.treeSeconds(broker.brokerPID)
        let t = WallClock.monotonicMillis()
        var pids: [pid_t] = []
        for i in 1...round {
            pids.append(try spawn(tallyBinary, ["run", "--config", try config(round: round, state: "state-\(round)-\(i)"), "--instance", "\(i)"],
                                  stdout: log("rater-\(round)-\(i)")))
        }
        let deadline = WallClock.monotonicMillis() + 900_000
        while try committed(round) != ends {
            guard WallClock.monotonicMillis() < deadline else { throw BenchError("round \(round) did not finish: \(text("rater-\(round)-1"))") }
            usleep(100_000)
        }
        let wall = Double(WallClock.monotonicMillis() - t) / 1000
        let brokerCPU = ProcessCPU.treeSeconds(broker.brokerPID) - brokerBefore
        var cells: [String] = []
        for (i, pid) in pids.enumerated() {
            let cpu = stop(pid)
            let samplesIn = counter("samples_in", in: text("rater-\(round)-\(i + 1)"))
            cells.append(String(format: "%.2f s, %llu, %.1f µs", cpu, samplesIn, samplesIn == 0 ? 0 : cpu * 1e6 / Double(samplesIn)))
        }
        print(String(format: "%6d  %7.2f  %14.0f  | ", round, wall, Double(sampleCount) / wall) + cells.joined(separator: "; ")
            + String(format: "  | %.2f", brokerCPU))
    }

    // Restore: an empty state directory takes all partitions of round 1 from its changelog.
    let freshPID = try spawn(tallyBinary, ["run", "--config", try config(round: 1, state: "state-1-fresh"), "--instance", "1"],
                             stdout: log("restore-fresh"))
    let restored = try waitForRestores(log: { text("restore-fresh") }, count: Int(partitions))
    let bytes = restored.reduce(0) { $0 + $1.bytes }, millis = restored.reduce(0) { $0 + $1.millis }
    let changelogRecords = restored.reduce(0) { $0 + $1.records }
    print(String(format: "restore into an empty state directory: %d changelog records, %.2f MiB in %d ms (sum over %d partitions) = %.0f ms per MiB",
                 changelogRecords, Double(bytes) / 1_048_576, millis, restored.count, Double(millis) / max(Double(bytes) / 1_048_576, 0.001)))

    // Rebalance: a second rater joins with the round-1 cache (current): each task of both
    // is closed and reopened; with current caches a task's reopening is the pause.
    let t = WallClock.monotonicMillis()
    let joinPID = try spawn(tallyBinary, ["run", "--config", try config(round: 1, state: "state-1-1"), "--instance", "2"],
                            stdout: log("restore-join"))
    let after = try waitForRestores(log: { text("restore-join") }, count: 1)
    let joinWall = WallClock.monotonicMillis() - t
    let again = try waitForRestores(log: { text("restore-fresh") }, count: Int(partitions) + 1)
    let pauses = (after + again.dropFirst(Int(partitions))).map(\.millis)
    print("rebalance (a second rater joins, eager assignor): restores of current caches \(pauses.map { "\($0) ms" }.joined(separator: ", ")) "
        + "(changelog records applied \((after + again.dropFirst(Int(partitions))).map(\.records))); "
        + "\(joinWall) ms from the newcomer's start to its first task restored (process start and group join included)")
    _ = stop(joinPID)
    _ = stop(freshPID)
}

/// A `name value` line of the counters `tally run` prints when it stops (0 if absent).
private func counter(_ name: String, in output: String) -> UInt64 {
    for line in output.split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 2, parts[0] == name, let value = UInt64(parts[1]) { return value }
    }
    return 0
}

/// The "restored:" lines of a rater's log once there are `count` of them (5 min at most).
private func waitForRestores(log: () -> String, count: Int) throws -> [(records: Int, bytes: Int, millis: Int)] {
    let deadline = WallClock.monotonicMillis() + 300_000
    while true {
        let lines = log().split(separator: "\n").filter { $0.contains(" restored: ") }
        if lines.count >= count {
            return lines.map { line in
                func number(after marker: String) -> Int {
                    guard let r = line.range(of: marker) else { return 0 }
                    return Int(line[r.upperBound...].prefix { $0.isNumber }) ?? 0
                }
                let bytes = line.range(of: "record(s), ").map { Int(line[$0.upperBound...].prefix { $0.isNumber }) ?? 0 } ?? 0
                return (number(after: "restored: "), bytes, number(after: "bytes in "))
            }
        }
        guard WallClock.monotonicMillis() < deadline else { throw BenchError("no \(count) restores in the log:\n\(log())") }
        usleep(100_000)
    }
}
