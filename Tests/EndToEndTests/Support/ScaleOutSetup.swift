import Foundation
import TallyAudit
import TallyCore
import TallyDemo
import TallyKafka
import TallyRuntime
import Testing

/// The whole scale-out pipeline of issue 13 (docs/SCALE.md), as processes on one real
/// broker: Ceilometer notifications with null keys on the raw topic `metering.sample`,
/// routers (`tally route`) re-keying them to `tally.samples`, and raters
/// (`tally run --group`) in one consumer group on `tally.samples`, each with its own
/// state directory. `vcpus` is priced on cumulative monthly tiers and keyed by project
/// (`route_key: project`), so its expected prices depend on a project's whole usage.
final class ScaleOutSetup {
    let fixture: EndToEndFixture
    let samples: [UsageSimulator.Sample]
    /// Raw record values, several samples each (of two or more resources for most).
    let records: [[UInt8]]
    let start: EventTime
    let hours: Int
    static let rawPartitions: Int32 = 3
    static let routePartitions: Int32 = 3
    var raterConfig: String { fixture.directory.appendingPathComponent("rater.yaml").path }
    var routeConfig: String { fixture.directory.appendingPathComponent("route.yaml").path }

    init(hours: Int = 30, projects: Int = 4, samplesPerRecord: Int = 6) throws {
        fixture = try EndToEndFixture()  // creates metering.sample with 3 partitions
        self.hours = hours
        start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - Int64(hours) - 2) * 3_600_000_000)
        samples = UsageSimulator(seed: 1313, start: start, hours: hours, projects: projects, instancesPerProject: 4,
                                 volumesPerProject: 2).samples()
        // The simulator lists a poll's samples resource by resource (4 per instance), so a
        // record of 6 holds two or three resources: the routers must split it by key.
        records = CeilometerEncoder.records(samples, perRecord: samplesPerRecord, seed: 1313)
        let dir = fixture.directory
        let metrics = EndToEndFixture.metrics.replacingOccurrences(
            of: "vcpus: {unit: vcpu, aggregation: max, period: PT1H, grace: PT10M, retention: P2D}",
            with: "vcpus: {unit: vcpu, aggregation: max, period: PT1H, grace: PT10M, retention: P2D, route_key: project}")
        precondition(metrics != EndToEndFixture.metrics)
        try metrics.write(to: dir.appendingPathComponent("metrics.yaml"), atomically: true, encoding: .utf8)
        try (EndToEndFixture.rules + EndToEndFixture.graduatedVcpuTiers).write(to: dir.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let bootstrap = fixture.broker.bootstrapServers
        // The raters' configured format is `native`: they rate Ceilometer only because every
        // routed record names its format in the `tally-format` header.
        try """
        kafka:
          bootstrap: \(bootstrap)
          inputs:
            - {topic: tally.samples, format: native}
          input_partitions: \(Self.routePartitions)
          frames_partitions: \(Self.routePartitions)
        state:
          path: state
        metrics: metrics.yaml
        rules: rules.yaml
        engine: {batch_samples: 500, batch_ms: 100, metrics_listen: "127.0.0.1:0"}
        rater: {group: true, group_id: scaleout, max_poll_interval_ms: 12000}
        """.write(toFile: raterConfig, atomically: true, encoding: .utf8)
        // Short group timeouts: a JoinGroup that noida-db 0.2.3 leaves unanswered is retried (docs/SCALE.md).
        try """
        kafka:
          bootstrap: \(bootstrap)
          inputs:
            - {topic: metering.sample, format: ceilometer}
          deadletter_topic: deadletter.route
          properties: {session.timeout.ms: "6000", heartbeat.interval.ms: "1000", max.poll.interval.ms: "15000"}
        metrics: metrics.yaml
        route:
          partitions: \(Self.routePartitions)
          batch_records: 20
          transaction_timeout_ms: 10000
        """.write(toFile: routeConfig, atomically: true, encoding: .utf8)
        _ = try KafkaAdmin(config: KafkaConfig(bootstrapServers: bootstrap)).createTopic("tally.samples", partitions: Int(Self.routePartitions))
    }

    /// Raw records with null keys (the producer's partitioner spreads them).
    func produce(_ range: Range<Int>) throws {
        try TopicIO.produce(Array(records[range]), topic: "metering.sample", bootstrapServers: fixture.broker.bootstrapServers)
    }

    // MARK: processes

    func log(_ name: String) -> URL { fixture.directory.appendingPathComponent("\(name).log") }

    func startRouter(_ name: String) throws -> Process {
        try TallyProcess.start(["route", "--config", routeConfig, "--instance", name], log: log("route-\(name)"))
    }

    /// Rater `name` with its own state directory (a new, empty one for another `stateSuffix`).
    func startRater(_ name: String, stateSuffix: String = "") throws -> Process {
        let path = fixture.directory.appendingPathComponent("rater-\(name)\(stateSuffix).yaml").path
        let text = try String(contentsOfFile: raterConfig, encoding: .utf8)
            .replacingOccurrences(of: "  path: state\n", with: "  path: state-\(name)\(stateSuffix)\n")
        precondition(text.contains("state-\(name)"))
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try TallyProcess.start(["run", "--config", path, "--instance", name, "--progress"], log: log("rater-\(name)"))
    }

    func raterLog(_ name: String) -> URL { log("rater-\(name)") }

    func logs(_ names: [String]) -> String { names.map { "--- \($0):\n" + GroupRaterSetup.text(log($0)) }.joined(separator: "\n") }

    /// Waits until the raters named own at least one partition each and all of them together.
    func waitForSplit(_ names: [String], seconds: TimeInterval = 120) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        func settled() -> Bool {
            let owned = names.map { GroupRaterSetup.lastOwned(raterLog($0)) ?? 0 }
            return owned.allSatisfy { $0 > 0 } && owned.reduce(0, +) == Int(Self.routePartitions)
        }
        while !settled() && Date() < deadline { usleep(200_000) }
        return settled()
    }

    /// The route group's committed offsets on the raw topic, by partition.
    func committedRouteOffsets() throws -> [Int64] {
        let consumer = try KafkaConsumer(config: KafkaConfig(bootstrapServers: fixture.broker.bootstrapServers), groupID: "tally-route")
        defer { consumer.close() }
        return try consumer.committedOffsets((0..<Self.rawPartitions).map { ("metering.sample", $0) }, timeoutMs: 10_000)
            .sorted { $0.partition < $1.partition }.map(\.offset)
    }

    /// Waits until the routers have committed every raw record; false on timeout.
    func waitForRouted(seconds: TimeInterval) throws -> Bool {
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: fixture.broker.bootstrapServers))
        let ends = try (0..<Self.rawPartitions).map { try admin.watermarks(topic: "metering.sample", partition: $0).high }
        let deadline = Date().addingTimeInterval(seconds)
        while try committedRouteOffsets() != ends && Date() < deadline { usleep(300_000) }
        return try committedRouteOffsets() == ends
    }

    /// One sample stamped now on each route partition (keyed producers may skip the router,
    /// naming the format as the router does),
    /// for a project and resource of its own: each task's clock passes the simulated data's
    /// last windows, which close (its own window stays open and is not compared).
    func produceClosers() throws {
        let producer = try KafkaProducer(config: KafkaConfig(bootstrapServers: fixture.broker.bootstrapServers))
        let handle = try producer.topic("tally.samples")
        for p in 0..<Self.routePartitions {
            let sample = UsageSimulator.Sample(id: "closer-\(p)-\(UUID().uuidString)", metric: "instance", type: "gauge", unit: "instance",
                                               volume: "1", timestamp: WallClock.now(), project: "closer", user: "closer",
                                               resource: "closer-\(p)", metadata: [])
            let record = CeilometerEncoder.records([sample], perRecord: 1, seed: UInt64(900 + p))[0]
            try producer.produce(to: handle, partition: p, key: Array(sample.resource.utf8), value: record,
                                 headers: [KafkaHeader(name: "tally-format", value: Array("ceilometer".utf8))], token: UInt64(p))
        }
        try producer.flush(timeoutMs: 30_000) { report in if let error = report.error { Issue.record("closer: \(error)") } }
    }

    // MARK: the independent computation

    /// The windows of `ExpectedWindows` (quantities, hashmap prices), with each `vcpus`
    /// window priced on the graduated monthly tiers of its project, computed here: windows
    /// ordered by start, then resource id (docs/RATING.md); a window pays
    /// C(cumulative through it) − C(cumulative before it), C(Q) = min(Q, 10) + 0.5 × max(Q − 10, 0).
    func expectedWindows() -> ExpectedWindows {
        var expected = ExpectedWindows(samples)
        var projectOf: [String: String] = [:]
        for s in samples { projectOf[s.resource] = s.project }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func cycle(_ hour: Int64) -> String {
            let c = calendar.dateComponents([.year, .month], from: Date(timeIntervalSince1970: TimeInterval(hour * 3600)))
            return "\(c.year!)-\(c.month!)"
        }
        func price(_ q: Decimal) -> Decimal { min(q, 10) + max(q - 10, 0) / 2 }
        let vcpus = expected.quantities.keys.filter { $0.metric == "vcpus" }
        let byCycle = Dictionary(grouping: vcpus) { "\(projectOf[$0.resource]!) \(cycle($0.hour))" }
        for windows in byCycle.values {
            var before = Decimal(0)
            let ordered = windows.sorted { a, b in
                a.hour != b.hour ? a.hour < b.hour : Array(a.resource.utf8).lexicographicallyPrecedes(Array(b.resource.utf8))
            }
            for key in ordered {
                let after = before + expected.quantities[key]!
                expected.prices[key] = price(after) - price(before)
                before = after
            }
        }
        return expected
    }

    /// The frames read so far, read again until they match the independent computation or
    /// `seconds` pass; returns the ledger and what is still wrong.
    func waitForExactFrames(seconds: TimeInterval) throws -> (FrameLedger, [String]) {
        try fixture.waitForExactFrames(expectedWindows(), seconds: seconds)
    }

    /// The sum of `lineage.sample_count` over every window's latest revision.
    static func samplesCounted(_ ledger: FrameLedger) -> Int {
        ledger.latest.values.reduce(0) { total, entry in
            let object = (try? JSONSerialization.jsonObject(with: Data(entry.bytes))) as? [String: Any]
            return total + ((object?["lineage"] as? [String: Any])?["sample_count"] as? Int ?? 0)
        }
    }

    func verify() throws -> (status: Int32, output: String) {
        try TallyProcess.run(["verify", "--config", raterConfig, "--from", Timestamps.iso8601(start),
                              "--to", Timestamps.iso8601(start + TimeSpan.hours(Int64(hours)))], timeout: 600)
    }
}
