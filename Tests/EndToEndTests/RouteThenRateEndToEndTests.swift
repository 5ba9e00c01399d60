import Foundation
import Testing
import TallyAudit
import TallyCore
import TallyKafka
import TallyRuntime
import TallyTestSupport

/// `tally route` then `tally run` on the route topic, as processes against a real broker,
/// with the real Ceilometer fixture (null keys): the rater reads the routed records by
/// their `tally-format` header and bills exactly what `tally run` bills reading the raw
/// topic directly (docs/SCALE.md).
@Suite(.serialized) struct RouteThenRateEndToEndTests {
    static let ceilometerFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TallyWireTests/Fixtures/sample-notifications.jsonl")

    /// The fixture's 488 record values (a line break ends each; it is not part of the value).
    static func fixtureRecords() throws -> [[UInt8]] {
        try Data(contentsOf: ceilometerFixture).split(separator: UInt8(ascii: "\n")).map { Array($0) }
    }

    /// One broker; three configurations on it that share nothing but the raw input:
    /// `direct.yaml` rates `metering.sample`, `route.yaml` routes it to `tally.samples`,
    /// `routed.yaml` rates `tally.samples`.
    final class Setup {
        let broker: BrokerProcess
        let directory: URL
        static let routePartitions = 4

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        init(metrics: String = EndToEndFixture.metrics, batchRecords: Int = 50) throws {
            broker = try BrokerProcess.start()
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-routerate-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try metrics.write(toFile: path("metrics.yaml"), atomically: true, encoding: .utf8)
            try EndToEndFixture.rules.write(toFile: path("rules.yaml"), atomically: true, encoding: .utf8)
            func rater(_ name: String, input: String) -> String {
                """
                kafka:
                  bootstrap: \(broker.bootstrapServers)
                  inputs:
                    - \(input)
                  frames_topic: frames.\(name)
                  deadletter_topic: deadletter.\(name)
                  corrections_topic: corrections.\(name)
                  checkpoints_topic: checkpoints.\(name)
                  frames_partitions: 3
                state:
                  path: state-\(name)
                metrics: metrics.yaml
                rules: rules.yaml
                """
            }
            try rater("direct", input: "{topic: metering.sample, format: ceilometer}")
                .write(toFile: path("direct.yaml"), atomically: true, encoding: .utf8)
            // The route topic's own format is native: only the header makes its records Ceilometer.
            try rater("routed", input: "{topic: tally.samples, format: native}")
                .write(toFile: path("routed.yaml"), atomically: true, encoding: .utf8)
            try """
            kafka:
              bootstrap: \(broker.bootstrapServers)
              inputs:
                - {topic: metering.sample, format: ceilometer}
              deadletter_topic: deadletter.route
            metrics: metrics.yaml
            route:
              partitions: \(Self.routePartitions)
              batch_records: \(batchRecords)
              transaction_timeout_ms: 10000
            """.write(toFile: path("route.yaml"), atomically: true, encoding: .utf8)
            try KafkaAdmin(config: broker.clientConfig).createTopic("metering.sample", partitions: 3)
        }

        deinit {
            broker.stop()
            try? FileManager.default.removeItem(at: directory)
        }

        func produceRaw(_ values: [[UInt8]]) throws {
            try TopicIO.produce(values, topic: "metering.sample", bootstrapServers: broker.bootstrapServers, partitions: 3)
        }

        /// Runs `tally route` until the group's committed offsets reach the raw topic's end,
        /// then stops it; returns its output.
        /// With `afterKill`: kills the router (-9) once it has routed something, produces
        /// `afterKill` to the raw topic, and restarts it under the same name.
        func route(seconds: Double = 180, afterKill: [[UInt8]] = []) throws -> String {
            let log = directory.appendingPathComponent("route-\(UUID().uuidString).log")
            var router = try TallyProcess.start(["route", "--config", path("route.yaml"), "--instance", "a"], log: log)
            defer { if router.isRunning { kill(router.processIdentifier, SIGKILL); router.waitUntilExit() } }
            if !afterKill.isEmpty {
                // kill -9 mid-stream, then a restart under the same name: it fences the dead
                // one (whose open transaction is aborted) and resumes at the committed offsets.
                let deadline = Date().addingTimeInterval(120)
                while try routed().isEmpty && Date() < deadline { usleep(100_000) }
                kill(router.processIdentifier, SIGKILL)
                router.waitUntilExit()
                let atKill = try committedRouteOffsets().reduce(0) { $0 + max($1, 0) }
                #expect(atKill > 0, "killed after routing \(atKill) raw records")
                try produceRaw(afterKill)
                router = try TallyProcess.start(["route", "--config", path("route.yaml"), "--instance", "a"], log: log)
            }
            let admin = try KafkaAdmin(config: broker.clientConfig)
            let ends = try (0..<Int32(3)).map { try admin.watermarks(topic: "metering.sample", partition: $0).high }
            let deadline = Date().addingTimeInterval(seconds)
            while try committedRouteOffsets() != ends && Date() < deadline && router.isRunning { usleep(300_000) }
            router.interrupt()
            router.waitUntilExit()
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(router.terminationStatus == 0, "tally route failed:\n\(output)")
            #expect(try committedRouteOffsets() == ends, "the router committed every raw record; log:\n\(output)")
            return output
        }

        private func committedRouteOffsets() throws -> [Int64] {
            let consumer = try KafkaConsumer(config: broker.clientConfig, groupID: "tally-route")
            defer { consumer.close() }
            return try consumer.committedOffsets((0..<Int32(3)).map { ("metering.sample", $0) }, timeoutMs: 10_000)
                .sorted { $0.partition < $1.partition }.map(\.offset)
        }

        func rate(_ config: String) throws -> String {
            let run = try TallyProcess.run(["run", "--config", path(config), "--until-drained"])
            #expect(run.status == 0, "tally run --config \(config) failed: \(run.output)")
            return run.output
        }

        func frames(_ name: String) throws -> FrameLedger {
            var ledger = FrameLedger()
            for r in try TopicIO.readAll(topic: "frames.\(name)", bootstrapServers: broker.bootstrapServers) { ledger.add(r.value) }
            return ledger
        }

        func deadLetters(_ name: String) throws -> [[String: Any]] {
            try TopicIO.readAll(topic: "deadletter.\(name)", bootstrapServers: broker.bootstrapServers).compactMap {
                try JSONSerialization.jsonObject(with: Data($0.value)) as? [String: Any]
            }
        }

        /// The route topic's records with the headers tests look at.
        func routed() throws -> [RoutedRecord] { try RoutedRecord.readAll(bootstrapServers: broker.bootstrapServers) }
    }

    /// The (key, sample message_id) of each sample of a Ceilometer record value.
    /// A metric in `projectKeyed` is keyed `project 0x1F 0x1F metric` (route_key: project).
    static func samples(of value: [UInt8], projectKeyed: Set<String> = []) -> [(key: [UInt8], id: String)] {
        guard let outer = (try? JSONSerialization.jsonObject(with: Data(value))) as? [String: Any],
              let message = outer["oslo.message"] as? String,
              let notification = (try? JSONSerialization.jsonObject(with: Data(message.utf8))) as? [String: Any],
              let payload = notification["payload"] as? [[String: Any]] else { return [] }
        return payload.map {
            let metric = $0["counter_name"] as? String ?? ""
            let resource = projectKeyed.contains(metric) ? "" : $0["resource_id"] as? String ?? ""
            let key = "\($0["project_id"] as? String ?? "")\u{1F}\(resource)\u{1F}\(metric)"
            return (Array(key.utf8), $0["message_id"] as? String ?? "")
        }
    }

    /// Every routed record holds only samples of its key and names its original record;
    /// every sample of the raw topic is routed exactly once (as many times as it occurs raw).
    static func checkRouted(_ setup: Setup, routeOutput: String, projectKeyed: Set<String> = []) throws {
        let raw = try TopicIO.readAll(topic: "metering.sample", bootstrapServers: setup.broker.bootstrapServers)
        var rawAt: [String: [UInt8]] = [:]
        for r in raw { rawAt["\(r.partition)/\(r.offset)"] = r.value }
        let routed = try setup.routed()
        var rawIds: [String: Int] = [:], routedIds: [String: Int] = [:]
        for r in raw { for s in samples(of: r.value) { rawIds[s.id, default: 0] += 1 } }
        var wrongKey = 0, unnamed = 0, larger = 0
        for r in routed {
            let inside = samples(of: r.value, projectKeyed: projectKeyed)
            #expect(!inside.isEmpty, "a routed record decodes as a Ceilometer record")
            if inside.contains(where: { $0.key != r.key }) { wrongKey += 1 }
            for s in inside { routedIds[s.id, default: 0] += 1 }
            guard r.format == "ceilometer", r.sourceTopic == "metering.sample",
                  let original = rawAt["\(r.sourcePartition ?? "")/\(r.sourceOffset ?? "")"] else { unnamed += 1; continue }
            let originalIds = Set(samples(of: original).map(\.id))
            if !inside.allSatisfy({ originalIds.contains($0.id) }) { unnamed += 1 }
            if r.value.count > original.count { larger += 1 }
        }
        #expect(wrongKey == 0, "\(wrongKey) routed records hold a sample of another key")
        #expect(unnamed == 0, "\(unnamed) routed records do not name the raw record their samples came from")
        #expect(larger == 0, "\(larger) routed records are larger than their original")
        #expect(routedIds == rawIds, "every sample routed as often as it occurs raw (\(rawIds.values.reduce(0, +)) occurrences)")
        #expect(routed.count > raw.count, "multi-resource records were split: \(routed.count) routed from \(raw.count)")
        var partitionOfKey: [[UInt8]: Int32] = [:]
        for r in routed {
            guard let key = r.key else { continue }
            #expect(partitionOfKey[key, default: r.partition] == r.partition, "one key, one partition")
            partitionOfKey[key] = r.partition
        }
        let counters = TallyProcess.counters(in: routeOutput)
        #expect(counters["records_split", default: 0] > 0, "the router counts its splits: \(counters)")
    }

    /// Each window's latest revision: metric, scope, resource, start and groupby → quantity and price.
    static func windows(_ ledger: FrameLedger) -> [String: String] {
        var out: [String: String] = [:]
        for entry in ledger.latest.values {
            let object = (try? JSONSerialization.jsonObject(with: Data(entry.bytes))) as? [String: Any] ?? [:]
            let members = object["groupby"] as? [String: Any] ?? [:]
            let groupby = members.keys.sorted().map { "\($0)=\(members[$0]!)" }
            let key = "\(entry.metric) \(entry.scope) \(entry.resource) \(entry.windowStart) \(groupby.joined(separator: ","))"
            out[key] = "\(entry.quantity.canonicalText) \(entry.price.canonicalText) \(entry.currency)"
        }
        return out
    }

    /// The sample-level counters of a run, which routing must not change.
    static func sampleCounters(_ output: String) -> [String: UInt64] {
        TallyProcess.counters(in: output).filter {
            ["samples_in", "samples_folded", "samples_duplicate", "samples_dead_lettered", "samples_unknown_meter"].contains($0.key)
        }
    }

    @Test func ratingTheRouteTopicBillsWhatRatingTheRawTopicBills() throws {
        let setup = try Setup()
        let records = try Self.fixtureRecords()
        #expect(records.count == 488)
        try setup.produceRaw(records)

        let routeOutput = try setup.route()
        try Self.checkRouted(setup, routeOutput: routeOutput)
        #expect(try setup.deadLetters("route").isEmpty, "the fixture has nothing the router refuses")
        try Self.checkSameBill(setup)
    }

    /// Item 2 across a crash: a router killed with kill -9 mid-stream and restarted under its
    /// name still routes every sample of the split records exactly once (transactions), and
    /// the rater bills the same.
    @Test func splitRecordsAreRoutedExactlyOnceAcrossARouterKill() throws {
        let setup = try Setup(batchRecords: 2)
        let records = try Self.fixtureRecords()
        try setup.produceRaw(Array(records[..<300]))
        let routeOutput = try setup.route(afterKill: Array(records[300...]))
        try Self.checkRouted(setup, routeOutput: routeOutput)
        try Self.checkSameBill(setup)
    }

    /// Item 3: a metric with `route_key: project` is keyed `project 0x1F 0x1F metric`, so a
    /// project's samples of it, from all its resources, land on one partition of the route
    /// topic (its cumulative tiers are counted by one rater); other metrics stay per resource.
    @Test func aProjectKeyedMetricPutsAllOfAProjectsResourcesOnOnePartition() throws {
        let metrics = EndToEndFixture.metrics.replacingOccurrences(
            of: "cpu: {unit: ns, aggregation: increase, period: PT1H, grace: PT10M, retention: P2D}",
            with: "cpu: {unit: ns, aggregation: increase, period: PT1H, grace: PT10M, retention: P2D, route_key: project}")
        #expect(metrics != EndToEndFixture.metrics)
        let setup = try Setup(metrics: metrics)
        try setup.produceRaw(try Self.fixtureRecords())
        let routeOutput = try setup.route()
        try Self.checkRouted(setup, routeOutput: routeOutput, projectKeyed: ["cpu"])

        var partitionsOfProject: [String: Set<Int32>] = [:]
        var resourcesOfProject: [String: Set<String>] = [:]
        var vcpuPartitionsOfProject: [String: Set<Int32>] = [:]
        for r in try setup.routed() {
            let outer = try JSONSerialization.jsonObject(with: Data(r.value)) as? [String: Any]
            let message = try JSONSerialization.jsonObject(with: Data((outer?["oslo.message"] as? String ?? "").utf8)) as? [String: Any]
            for sample in message?["payload"] as? [[String: Any]] ?? [] {
                let project = sample["project_id"] as? String ?? "", resource = sample["resource_id"] as? String ?? ""
                switch sample["counter_name"] as? String {
                case "cpu":
                    partitionsOfProject[project, default: []].insert(r.partition)
                    resourcesOfProject[project, default: []].insert(resource)
                    #expect(r.key == Array("\(project)\u{1F}\u{1F}cpu".utf8))
                case "vcpus": vcpuPartitionsOfProject[project, default: []].insert(r.partition)
                default: break
                }
            }
        }
        #expect(resourcesOfProject.values.contains { $0.count >= 2 }, "a project has several instances: \(resourcesOfProject)")
        #expect(partitionsOfProject.values.allSatisfy { $0.count == 1 }, "each project's cpu on one partition: \(partitionsOfProject)")
        #expect(vcpuPartitionsOfProject.values.contains { $0.count > 1 }, "vcpus stays keyed by resource: \(vcpuPartitionsOfProject)")
        try Self.checkSameBill(setup)
    }

    /// `tally run` on the route topic bills what `tally run` on the raw topic bills.
    static func checkSameBill(_ setup: Setup) throws {
        let direct = try setup.rate("direct.yaml")
        let viaRoute = try setup.rate("routed.yaml")
        let expected = Self.windows(try setup.frames("direct"))
        let got = Self.windows(try setup.frames("routed"))
        #expect(expected.count > 100, "the direct run billed the fixture: \(expected.count) windows")
        #expect(expected.values.contains { $0.split(separator: " ")[1] != "0" }, "some windows are priced")
        let differing = Set(expected.keys).union(got.keys).filter { expected[$0] != got[$0] }.sorted()
        #expect(differing.isEmpty, "\(differing.count) windows differ, e.g. \(differing.prefix(5).map { "\($0): direct \(expected[$0] ?? "-"), routed \(got[$0] ?? "-")" })")
        let directCounters = Self.sampleCounters(direct), routedCounters = Self.sampleCounters(viaRoute)
        #expect(directCounters["samples_folded", default: 0] > 0)
        #expect(directCounters == routedCounters, "same samples folded, duplicate and refused: direct \(directCounters), routed \(routedCounters)")
        // Nothing was refused as undecodable: a Ceilometer record read as native would be.
        let reasons = Set(try setup.deadLetters("routed").compactMap { $0["reason"] as? String })
        #expect(!reasons.contains("bad-envelope") && !reasons.contains("schema-violation"), "reasons: \(reasons)")
    }

    @Test func aRecordWhoseFormatHeaderNamesNoFormatIsDeadLetteredSayingSo() throws {
        let setup = try Setup()
        let record = try Self.fixtureRecords()[0]
        let admin = try KafkaAdmin(config: setup.broker.clientConfig)
        _ = try admin.createTopic("tally.samples", partitions: 1)
        let producer = try KafkaProducer(config: setup.broker.clientConfig)
        let topic = try producer.topic("tally.samples")
        try producer.produce(to: topic, partition: 0, key: nil, value: record,
                             headers: [KafkaHeader(name: "tally-format", value: Array("xml".utf8))], token: 0)
        try producer.produce(to: topic, partition: 0, key: nil, value: record,
                             headers: [KafkaHeader(name: "tally-format", value: Array("ceilometer".utf8))], token: 1)
        try producer.flush(timeoutMs: 30_000) { _ in }

        let output = try setup.rate("routed.yaml")
        let letters = try setup.deadLetters("routed")
        let envelope = letters.filter { $0["reason"] as? String == "bad-envelope" }
        #expect(envelope.count == 1, "the record with the unknown header, and only it, is refused whole: \(letters)")
        let detail = envelope.first?["detail"] as? String ?? ""
        #expect(detail.contains("header tally-format is 'xml'") && detail.contains("ceilometer, native, cloudevents, auto"), "\(detail)")
        #expect((envelope.first?["source"] as? [String: Any])?["offset"] as? Int == 0)
        // The same bytes with a good header are rated.
        #expect(TallyProcess.counters(in: output)["samples_folded", default: 0] > 0, "\(output)")
    }
}

/// A record of the route topic, with the headers `tally route` sets.
struct RoutedRecord {
    var partition: Int32
    var offset: Int64
    var key: [UInt8]?
    var value: [UInt8]
    var format: String?
    var sourceTopic: String?
    var sourcePartition: String?
    var sourceOffset: String?

    static func readAll(topic: String = "tally.samples", bootstrapServers: String) throws -> [RoutedRecord] {
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: bootstrapServers))
        guard let count = try admin.partitionCount(of: topic) else { return [] }
        let consumer = try KafkaConsumer(config: KafkaConfig(bootstrapServers: bootstrapServers),
                                         groupID: "tally-test-reader", reportEndOfPartition: true)
        defer { consumer.close() }
        var remaining = Set<Int32>()
        for p in 0..<Int32(count) where try admin.watermarks(topic: topic, partition: p).high > 0 { remaining.insert(p) }
        guard !remaining.isEmpty else { return [] }
        try consumer.assign(remaining.sorted().map { (topic, $0, KafkaOffset.beginning) })
        let batch = KafkaRecordBatch(capacity: 4096)
        defer { batch.release() }
        var out: [RoutedRecord] = []
        let deadline = Date().addingTimeInterval(60)
        while !remaining.isEmpty && Date() < deadline {
            try consumer.poll(into: batch, timeoutMs: 100)
            if let error = batch.errors.first { throw error }
            func text(_ name: String, _ r: KafkaRecord) -> String? { r.header(named: name).map { String(decoding: $0, as: UTF8.self) } }
            for r in batch {
                out.append(RoutedRecord(partition: r.partition, offset: r.offset, key: r.key.map { Array($0) }, value: Array(r.value),
                                        format: text("tally-format", r), sourceTopic: text("tally-source-topic", r),
                                        sourcePartition: text("tally-source-partition", r), sourceOffset: text("tally-source-offset", r)))
            }
            for end in batch.partitionEnds { remaining.remove(end.partition) }
        }
        #expect(remaining.isEmpty, "read \(topic) to its end")
        return out
    }
}
