import Foundation
import Glibc
import TallyCore
import TallyDemo
import TallySeededRandom
import TallyKafka
import TallyRuntime
import TallyTestSupport

/// Live latency (issue 10): a running `tally run` (its own process, durable commits)
/// fed in real time — one Ceilometer record per input partition every 200 ms, stamped
/// with the wall clock — rates one-minute windows with a 2 s grace. This process reads
/// the frames topic as it goes and reports, for each revision-1 frame, the time from its
/// window's end to its arrival on the topic. Target: ≤ grace + 1 s.
func runLiveLatencyBench(seconds: Int, tallyBinary: String) throws {
    let broker = try BrokerProcess.start()
    defer { broker.stop() }
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("tally-latency-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let graceSeconds = 2, partitions: Int32 = 2, resources = 40
    try """
    time_zone: UTC
    idle_timeout: PT1S
    metrics:
      volume.size:
        unit: GiB-minute
        aggregation: max
        period: PT1M
        grace: PT\(graceSeconds)S
        metadata: [volume_type]
    """.write(to: work.appendingPathComponent("metrics.yaml"), atomically: true, encoding: .utf8)
    try """
    version: 1
    modules:
      hashmap: {enabled: true, priority: 3}
    groups: [storage]
    services:
      volume.size:
        fields:
          volume_type:
            mappings:
              - {id: ssd, value: ssd, type: flat, cost: 0.0004, group: storage}
    """.write(to: work.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
    try """
    kafka:
      bootstrap: \(broker.bootstrapServers)
      inputs: [{topic: metering.sample, format: ceilometer}]
      frames_partitions: 2
    state: {path: state, durable: true}
    metrics: metrics.yaml
    rules: rules.yaml
    """.write(to: work.appendingPathComponent("tally.yaml"), atomically: true, encoding: .utf8)
    let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers))
    _ = try admin.createTopic("metering.sample", partitions: Int(partitions))
    _ = try admin.createTopic("tally.frames", partitions: 2)

    let tally = try spawn(tallyBinary, ["run", "--config", work.appendingPathComponent("tally.yaml").path],
                          stdout: work.appendingPathComponent("tally.out").path)
    var tallyStopped = false
    defer { if !tallyStopped { kill(tally, SIGKILL); var s: Int32 = 0; waitpid(tally, &s, 0) } }

    let producer = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "linger.ms": "1"]))
    let input = try producer.topic("metering.sample")
    var config = BrokerProcess.clientConfig(bootstrapServers: broker.bootstrapServers)
    config["fetch.wait.max.ms"] = "10"  // the measurement must not wait on its own fetches
    let consumer = try KafkaConsumer(config: config, groupID: "tally-bench-latency")
    defer { consumer.close() }
    try consumer.assign((0..<2).map { ("tally.frames", Int32($0), KafkaOffset.beginning) })
    let batch = KafkaRecordBatch(capacity: 1_000)

    var rng = SplitMix64(seed: 23)
    let volumes = (0..<resources).map { _ in rng.uuid() }
    let started = WallClock.now()
    let deadline = WallClock.monotonicMillis() + Int64(seconds) * 1000
    var nextSend = WallClock.monotonicMillis()
    var latenciesMs: [Int64] = []
    var produced = 0
    while WallClock.monotonicMillis() < deadline {
        if WallClock.monotonicMillis() >= nextSend {
            let now = WallClock.now()
            for p in 0..<partitions {
                let samples = (0..<10).map { j -> UsageSimulator.Sample in
                    UsageSimulator.Sample(id: rng.uuid(), metric: "volume.size", type: "gauge", unit: "GiB", volume: "\(10 + j)",
                                          timestamp: now, project: "project-\(j % 4)", user: "user", resource: volumes[(produced * 10 + j) % resources],
                                          metadata: [("volume_type", "\"ssd\"")])
                }
                try producer.produce(to: input, partition: p, key: nil, value: CeilometerEncoder.record(samples[...], messageID: rng.uuid()),
                                     token: UInt64(produced))
                produced += 1
            }
            producer.poll(timeoutMs: 0) { _ in }
            nextSend += 200
        }
        try consumer.poll(into: batch, timeoutMs: 10)
        let arrival = WallClock.now()
        for record in batch {
            guard let end = frameWindowEnd(record.value), frameRevision(record.value) == 1, end > started else { continue }
            latenciesMs.append((arrival.micros - end.micros) / 1000)
        }
        batch.release()
    }
    try? producer.flush(timeoutMs: 5_000) { _ in }
    kill(tally, SIGTERM)
    var status: Int32 = 0
    waitpid(tally, &status, 0)
    tallyStopped = true
    guard !latenciesMs.isEmpty else {
        let log = (try? String(contentsOf: work.appendingPathComponent("tally.out"), encoding: .utf8)) ?? ""
        throw BenchError("no frame of a window that ended during the run arrived in \(seconds) s; tally's output: \(log.suffix(2000))")
    }
    latenciesMs.sort()
    func percentile(_ q: Double) -> Int64 { latenciesMs[min(latenciesMs.count - 1, Int(q * Double(latenciesMs.count)))] }
    print("  live latency, window end → frame on the topic (PT1M windows, grace \(graceSeconds) s, \(resources) volumes, "
          + "\(partitions) partitions fed every 200 ms for \(seconds) s, durable commits): \(latenciesMs.count) frames, "
          + "p50 \(percentile(0.5)) ms, p99 \(percentile(0.99)) ms, max \(latenciesMs.last!) ms (target ≤ grace + 1 s = \(graceSeconds * 1000 + 1000) ms)")
}

/// The `end` of a frame's window, read from its canonical JSON (`"end":"…Z"`).
private func frameWindowEnd(_ value: UnsafeRawBufferPointer) -> EventTime? {
    guard let text = String(bytes: value, encoding: .utf8), let r = text.range(of: "\"end\":\"") else { return nil }
    let stamp = text[r.upperBound...].prefix { $0 != "\"" }
    let formatter = ISO8601DateFormatter()
    guard let date = formatter.date(from: String(stamp)) else { return nil }
    return EventTime(micros: Int64(date.timeIntervalSince1970 * 1_000_000))
}

private func frameRevision(_ value: UnsafeRawBufferPointer) -> Int? {
    guard let text = String(bytes: value, encoding: .utf8), let r = text.range(of: "\"revision\":") else { return nil }
    return Int(text[r.upperBound...].prefix { $0.isNumber })
}

/// Starts a program with stdout and stderr to `stdout`, without waiting for it.
func spawn(_ path: String, _ args: [String], stdout: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([path] + args).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
    guard rc == 0 else { throw BenchError("cannot start \(path): \(String(cString: strerror(rc)))") }
    return pid
}
