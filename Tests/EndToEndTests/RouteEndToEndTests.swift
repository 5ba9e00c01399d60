import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyKafka
import TallyRuntime
import TallyTestSupport

/// `tally route` as real processes against a real broker: Ceilometer records with null
/// keys in, each record's original bytes out on tally.samples exactly once (read
/// committed), keyed by project + resource + metric, across kill -9 and group rebalances.
@Suite(.serialized) struct RouteEndToEndTests {
    /// A broker, a configuration and Ceilometer input: one sample per record, so each
    /// record's expected key is its sample's.
    final class Setup {
        let broker: BrokerProcess
        let directory: URL
        var configPath: String { directory.appendingPathComponent("tally.yaml").path }
        var records: [[UInt8]] = []
        var expectedKey: [[UInt8]: [UInt8]] = [:]
        let malformed: [[UInt8]] = [Array("{\"oslo.version\": \"2.0\", \"oslo.message\": \"{not json".utf8),
                                    Array("garbage".utf8)]

        init(inputPartitions: Int, batchRecords: Int, count: Int) throws {
            broker = try BrokerProcess.start()
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-route-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try "metrics:\n  vcpus: {unit: vcpu, aggregation: max, period: PT1H}\n"
                .write(to: directory.appendingPathComponent("metrics.yaml"), atomically: true, encoding: .utf8)
            // Short group timeouts: a killed router's partitions move on within seconds, and
            // a JoinGroup that noida-db 0.2.3 leaves unanswered is retried (docs/SCALE.md).
            let config = """
            kafka:
              bootstrap: \(broker.bootstrapServers)
              inputs:
                - {topic: metering.sample, format: ceilometer}
              properties: {session.timeout.ms: "6000", heartbeat.interval.ms: "1000", max.poll.interval.ms: "15000"}
            metrics: metrics.yaml
            route:
              partitions: 4
              batch_records: \(batchRecords)
              transaction_timeout_ms: 10000
            """
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
            try KafkaAdmin(config: broker.clientConfig).createTopic("metering.sample", partitions: inputPartitions)
            let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 30) * 3_600_000_000)
            let samples = Array(UsageSimulator(seed: 7, start: start, hours: 24, projects: 3, instancesPerProject: 4,
                                               volumesPerProject: 2).samples().prefix(count))
            precondition(samples.count == count, "the simulator made \(samples.count) samples")
            records = CeilometerEncoder.records(samples, perRecord: 1)
            for (record, sample) in zip(records, samples) {
                expectedKey[record] = Array("\(sample.project)\u{1F}\(sample.resource)\u{1F}\(sample.metric)".utf8)
            }
        }

        deinit {
            broker.stop()
            try? FileManager.default.removeItem(at: directory)
        }

        func produceInput(_ values: [[UInt8]]) throws {
            try TopicIO.produce(values, topic: "metering.sample", bootstrapServers: broker.bootstrapServers)  // null keys
        }

        func routed() throws -> [TopicIO.Record] {
            try TopicIO.readAll(topic: "tally.samples", bootstrapServers: broker.bootstrapServers)
        }

        func deadLetters() throws -> [[String: Any]] {
            try TopicIO.readAll(topic: "tally.deadletter", bootstrapServers: broker.bootstrapServers).compactMap {
                try JSONSerialization.jsonObject(with: Data($0.value)) as? [String: Any]
            }
        }

        func startRouter(_ instance: String) throws -> (Process, URL) {
            let log = directory.appendingPathComponent("route-\(instance)-\(UUID().uuidString).log")
            return (try TallyProcess.start(["route", "--config", configPath, "--instance", instance], log: log), log)
        }

        /// Waits until tally.samples holds `count` committed records (or the deadline).
        func waitForRouted(_ count: Int, seconds: Double) throws -> [TopicIO.Record] {
            let deadline = Date().addingTimeInterval(seconds)
            var records = try routed()
            while records.count < count && Date() < deadline {
                usleep(300_000)
                records = try routed()
            }
            return records
        }

        /// Every input record exactly once, under its resource key, each key on one partition.
        func checkExactlyOnce(_ routed: [TopicIO.Record]) {
            var seen: [[UInt8]: Int] = [:]
            for r in routed { seen[r.value, default: 0] += 1 }
            let doubled = seen.filter { $0.value > 1 }.count
            let missing = records.filter { seen[$0] == nil }.count
            #expect(doubled == 0, "\(doubled) records routed more than once")
            #expect(missing == 0, "\(missing) of \(records.count) records never routed")
            #expect(routed.count == records.count)
            var partitionOfKey: [[UInt8]: Int32] = [:]
            for r in routed {
                #expect(r.key == expectedKey[r.value], "a record is keyed by its sample's project, resource and metric")
                if let key = r.key {
                    #expect(partitionOfKey[key, default: r.partition] == r.partition, "one key, one partition")
                    partitionOfKey[key] = r.partition
                }
            }
            #expect(Set(routed.map(\.partition)).count > 1, "keys spread over the route topic's partitions")
        }
    }

    private static func stop(_ process: Process) -> Int32 {
        if process.isRunning { process.interrupt() }
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The partition count of the last "owns N partition(s)" line of a router's log.
    private static func lastOwned(_ log: String) -> Int? {
        guard let line = log.split(separator: "\n").last(where: { $0.contains(" partition(s)") && $0.contains("owns ") }),
              let owns = line.range(of: "owns ") else { return nil }
        return Int(line[owns.upperBound...].prefix { $0.isNumber })
    }

    private static func text(_ log: URL) -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    @Test func everyRecordIsRoutedExactlyOnceAcrossAKillAndARestart() throws {
        let setup = try Setup(inputPartitions: 3, batchRecords: 2, count: 2_000)
        try setup.produceInput(setup.records + setup.malformed)

        var (router, log) = try setup.startRouter("a")
        defer { _ = Self.stop(router) }
        let before = try setup.waitForRouted(1, seconds: 120)
        kill(router.processIdentifier, SIGKILL)
        router.waitUntilExit()
        let atKill = try setup.routed().count
        #expect(!before.isEmpty, "the first router routed something before it was killed; log:\n\(Self.text(log))")
        #expect(atKill < setup.records.count, "killed mid-stream (\(atKill) of \(setup.records.count) routed)")

        (router, log) = try setup.startRouter("a")  // same name: fences the dead one, aborts its open transaction
        let routed = try setup.waitForRouted(setup.records.count, seconds: 180)
        #expect(Self.stop(router) == 0, "log:\n\(Self.text(log))")
        setup.checkExactlyOnce(try setup.routed())
        _ = routed

        let letters = try setup.deadLetters()
        #expect(letters.count == setup.malformed.count, "each unkeyable record dead-lettered once: \(letters)")
        #expect(letters.allSatisfy { $0["stage"] as? String == "route" && $0["reason"] as? String == "malformed-json" })
        #expect(letters.allSatisfy { $0["schema"] as? String == "tally.deadletter/1" })
    }

    @Test func twoRoutersInOneGroupSplitThePartitionsAndRouteEachRecordOnce() throws {
        let setup = try Setup(inputPartitions: 4, batchRecords: 100, count: 2_000)
        let (a, logA) = try setup.startRouter("a")
        defer { _ = Self.stop(a) }
        var deadline = Date().addingTimeInterval(60)
        while !Self.text(logA).contains("owns 4 partition(s)") && Date() < deadline { usleep(200_000) }
        let (b, logB) = try setup.startRouter("b")
        defer { _ = Self.stop(b) }
        deadline = Date().addingTimeInterval(120)
        // Wait for the group to settle with both owning a share (a rebalance noida-db
        // stalls is retried after max.poll.interval.ms; docs/SCALE.md).
        func settled() -> Bool {
            guard let ownedA = Self.lastOwned(Self.text(logA)), let ownedB = Self.lastOwned(Self.text(logB)) else { return false }
            return ownedA > 0 && ownedB > 0 && ownedA + ownedB == 4
        }
        while !settled() && Date() < deadline { usleep(200_000) }
        #expect(settled(), "the group settled with both routers owning partitions; logs:\n\(Self.text(logA))\n---\n\(Self.text(logB))")

        // Null keys still, but spread over all four partitions: librdkafka's sticky partitioner
        // can put a whole burst of null-key records on the partitions of one router, which
        // then routes everything and the check below that both routed a share fails.
        try TopicIO.produce(setup.records, topic: "metering.sample", bootstrapServers: setup.broker.bootstrapServers,
                            partitions: 4)
        _ = try setup.waitForRouted(setup.records.count, seconds: 180)
        let statusA = Self.stop(a), statusB = Self.stop(b)
        let outA = Self.text(logA), outB = Self.text(logB)
        #expect(statusA == 0 && statusB == 0, "logs:\n\(outA)\n---\n\(outB)")
        setup.checkExactlyOnce(try setup.routed())

        let routedA = TallyProcess.counters(in: outA)["records_routed"] ?? 0
        let routedB = TallyProcess.counters(in: outB)["records_routed"] ?? 0
        #expect(routedA > 0 && routedB > 0, "both routers routed a share: \(routedA) and \(routedB); logs:\n\(outA)\n---\n\(outB)")
        #expect(routedA + routedB == UInt64(setup.records.count), "no record routed by both")
    }
}
