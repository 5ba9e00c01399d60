import Foundation
import Glibc
import TallyCore
import TallyDemo
import TallyKafka
import TallyRuntime
import TallyTestSupport

/// The router's throughput on this machine (docs/SCALING.md): preload Ceilometer records
/// (10 samples each, spanning resources, so most are split by key) with null keys, then
/// time `tally route` as its own process from start until its group's committed offsets
/// reach the end of the input, and report routed records per wall second and per
/// CPU-second of the router (wait4's user + system), with the broker's CPU beside it.
func runRouteBench(records recordCount: Int, tallyBinary: String) throws {
    let broker = try BrokerProcess.start()
    defer { broker.stop() }
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("tally-route-bench-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }

    let perPoll = 50 * 10 * 4 + 50 * 4
    let hours = max(1, (recordCount * 10 / perPoll + 5) / 6)
    let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - Int64(hours) - 2) * 3_600_000_000)
    let simulator = UsageSimulator(seed: 5, start: start, hours: hours, projects: 50, instancesPerProject: 10, volumesPerProject: 4)
    let samples = Array(simulator.samples().prefix(recordCount * 10))
    let records = CeilometerEncoder.records(samples, perRecord: 10)
    let partitions: Int32 = 6
    let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers))
    _ = try admin.createTopic("metering.sample", partitions: Int(partitions))
    try TopicIO.produce(records, topic: "metering.sample", bootstrapServers: broker.bootstrapServers, partitions: partitions)
    let ends = try (0..<partitions).map { try admin.watermarks(topic: "metering.sample", partition: $0).high }
    print("preloaded \(records.count) records, \(samples.count) samples, \(records.reduce(0) { $0 + $1.count } / 1_048_576) MiB")

    try DemoFiles.metrics.write(to: work.appendingPathComponent("metrics.yaml"), atomically: true, encoding: .utf8)
    let config = work.appendingPathComponent("tally.yaml").path
    try """
    kafka:
      bootstrap: \(broker.bootstrapServers)
      inputs: [{topic: metering.sample, format: ceilometer}]
    metrics: metrics.yaml
    route: {partitions: 6, batch_records: 5000}
    """.write(toFile: config, atomically: true, encoding: .utf8)

    let output = work.appendingPathComponent("route.out").path
    var brokerCPU = ProcessCPU.treeSeconds(broker.brokerPID)
    let t = WallClock.monotonicMillis()
    let pid = try spawn(tallyBinary, ["route", "--config", config, "--instance", "bench"], stdout: output)
    let probe = try KafkaConsumer(config: broker.clientConfig, groupID: "tally-route")
    defer { probe.close() }
    var committed: [Int64] = []
    var status: Int32 = 0
    var usage = rusage()
    while committed != ends {
        guard wait4(pid, &status, WNOHANG, &usage) == 0 else {
            throw BenchError("tally route exited early: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        }
        usleep(50_000)
        committed = try probe.committedOffsets((0..<partitions).map { ("metering.sample", $0) }, timeoutMs: 10_000)
            .sorted { $0.partition < $1.partition }.map(\.offset)
    }
    let wallMillis = WallClock.monotonicMillis() - t
    brokerCPU = ProcessCPU.treeSeconds(broker.brokerPID) - brokerCPU
    kill(pid, SIGINT)
    _ = wait4(pid, &status, 0, &usage)
    let seconds = { (t: timeval) in Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
    let cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime)
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    let counters = text.split(separator: "\n").filter { $0.hasPrefix("records_") }.joined(separator: ", ")
    let wall = Double(wallMillis) / 1000
    print("tally route (\(counters)), one transaction per ≤ 5,000 records:")
    print(String(format: "  wall: %.2f s from start (joining the group included) = %.0f records/s, %.0f samples/s",
                 wall, Double(records.count) / wall, Double(samples.count) / wall))
    print(String(format: "  router CPU: %.2f s = %.0f records per CPU-second, %.0f samples per CPU-second; broker CPU meanwhile: %.2f s",
                 cpu, Double(records.count) / max(cpu, 0.001), Double(samples.count) / max(cpu, 0.001), brokerCPU))
}
