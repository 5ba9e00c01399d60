import Foundation
import TallyAudit
import TallyCore
import TallyKafka
import TallyRuntime
import TallyTestSupport

/// A broker process, a working directory with the metrics, rules and service
/// configuration, and helpers to produce input and read the outputs back.
final class EndToEndFixture {
    let broker: BrokerProcess
    let directory: URL
    var configPath: String { directory.appendingPathComponent("tally.yaml").path }

    static let metrics = """
    idle_timeout: PT2S
    metrics:
      instance:
        unit: instance
        aggregation: max
        period: PT1H
        grace: PT10M
        retention: P2D
        groupby: [id, project_id, {name: flavor_name, from: [flavor_name, flavor.name, instance_type]}]
      vcpus: {unit: vcpu, aggregation: max, period: PT1H, grace: PT10M, retention: P2D}
      volume.size: {unit: GiB, aggregation: max, period: PT1H, grace: PT10M, retention: P2D, metadata: [volume_type]}
      cpu: {unit: ns, aggregation: increase, period: PT1H, grace: PT10M, retention: P2D}
      network.outgoing.bytes: {unit: B, aggregation: increase, period: PT1H, grace: PT10M, retention: P2D}

    """

    /// A tiers section (to append to `rules`): 10 vCPU-hours a month per project at 1
    /// each, then 0.5 each (the tier-order and scale-out tests).
    static let graduatedVcpuTiers = """
    tiers:
      - id: vcpu-graduated
        service: vcpus
        mode: graduated
        cycle: month
        tiers:
          - {up_to: 10, unit_price: 1}
          - {unit_price: 0.5}

    """

    static let rules = """
    version: 1
    groups: [compute, storage]
    services:
      instance:
        fields:
          flavor_name:
            mappings:
              - {id: m1-small, value: m1.small, type: flat, cost: 0.025, group: compute}
              - {id: m1-medium, value: m1.medium, type: flat, cost: 0.05, group: compute}
              - {id: m1-large, value: m1.large, type: flat, cost: 0.10, group: compute}
      volume.size:
        fields:
          volume_type:
            mappings:
              - {id: ssd-gold, value: SSD_gold, type: flat, cost: 0.0004, group: storage}
              - {id: ssd-silver, value: SSD_silver, type: flat, cost: 0.0003, group: storage}
              - {id: hdd-bronze, value: HDD_bronze, type: flat, cost: 0.0001, group: storage}

    """

    /// `inputPolicies`: extra keys of the `metering.sample` input (`signature_secret`, …), as flow-map members.
    init(extraConfig: String = "", inputPolicies: String = "") throws {
        broker = try BrokerProcess.start()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try EndToEndFixture.metrics.write(to: directory.appendingPathComponent("metrics.yaml"), atomically: true, encoding: .utf8)
        try EndToEndFixture.rules.write(to: directory.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let config = """
        kafka:
          bootstrap: \(broker.bootstrapServers)
          inputs:
            - {topic: metering.sample, format: ceilometer\(inputPolicies.isEmpty ? "" : ", " + inputPolicies)}
          input_partitions: 3
          frames_partitions: 3
        state:
          path: state
        metrics: metrics.yaml
        rules: rules.yaml
        \(extraConfig)
        """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers))
        _ = try admin.createTopic("metering.sample", partitions: 3)
    }

    deinit {
        broker.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    func produce(_ records: [[UInt8]]) throws {
        try TopicIO.produce(records, topic: "metering.sample", bootstrapServers: broker.bootstrapServers, partitions: 3)
    }

    func frames() throws -> FrameLedger {
        var ledger = FrameLedger()
        for r in try TopicIO.readAll(topic: "tally.frames", bootstrapServers: broker.bootstrapServers) { ledger.add(r.value) }
        return ledger
    }

    /// Reads the frames until every window of `expected` has its exact latest frame, or
    /// `seconds` pass; returns the last ledger read and its problems (empty: exact).
    func waitForExactFrames(_ expected: ExpectedWindows, seconds: TimeInterval) throws -> (FrameLedger, [String]) {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let ledger = try frames()
            let problems = EndToEndFixture.compare(ledger, with: expected)
            if problems.isEmpty || Date() >= deadline { return (ledger, problems) }
            usleep(500_000)
        }
    }

    func deadLetters() throws -> [[String: Any]] {
        try TopicIO.readAll(topic: "tally.deadletter", bootstrapServers: broker.bootstrapServers).compactMap {
            try JSONSerialization.jsonObject(with: Data($0.value)) as? [String: Any]
        }
    }

    /// Checks every window of `expected` against the latest frames; returns the problems.
    static func compare(_ ledger: FrameLedger, with expected: ExpectedWindows) -> [String] {
        var problems: [String] = []
        var seen = Set<ExpectedWindows.Key>()
        for entry in ledger.latest.values {
            let object = (try? JSONSerialization.jsonObject(with: Data(entry.bytes))) as? [String: Any] ?? [:]
            let flavor = (object["groupby"] as? [String: Any])?["flavor_name"] as? String
            let hour = (try? TimestampParserForTests.micros(entry.windowStart)).map { $0 / 3_600_000_000 } ?? -1
            let key = ExpectedWindows.Key(metric: entry.metric, resource: entry.resource, hour: hour, flavor: flavor)
            seen.insert(key)
            guard let quantity = expected.quantities[key] else { problems.append("unexpected window \(key)"); continue }
            if Decimal(string: entry.quantity.canonicalText) != quantity {
                problems.append("\(key): quantity \(entry.quantity.canonicalText), expected \(quantity)")
            }
            let price = expected.prices[key] ?? 0
            if Decimal(string: entry.price.canonicalText) != price {
                problems.append("\(key): price \(entry.price.canonicalText), expected \(price)")
            }
        }
        for key in expected.quantities.keys where !seen.contains(key) { problems.append("missing window \(key)") }
        return problems
    }
}

enum TimestampParserForTests {
    static func micros(_ iso: String) throws -> Int64 {
        let f = ISO8601DateFormatter()
        guard let d = f.date(from: iso) else { throw CocoaError(.formatting) }
        return Int64(d.timeIntervalSince1970) * 1_000_000
    }
}
