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

        init(metrics: String = EndToEndFixture.metrics) throws {
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
              batch_records: 50
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
        func route(seconds: Double = 180) throws -> String {
            let log = directory.appendingPathComponent("route-\(UUID().uuidString).log")
            let router = try TallyProcess.start(["route", "--config", path("route.yaml"), "--instance", "a"], log: log)
            defer { if router.isRunning { kill(router.processIdentifier, SIGKILL); router.waitUntilExit() } }
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
        let routed = try setup.routed()
        #expect(!routed.isEmpty && routed.allSatisfy { $0.format == "ceilometer" }, "every routed record names its format")
        #expect(try setup.deadLetters("route").isEmpty, "the fixture has nothing the router refuses")

        let direct = try setup.rate("direct.yaml")
        let viaRoute = try setup.rate("routed.yaml")
        let expected = Self.windows(try setup.frames("direct"))
        let got = Self.windows(try setup.frames("routed"))
        #expect(expected.count > 100, "the direct run billed the fixture: \(expected.count) windows")
        #expect(expected.values.contains { $0.split(separator: " ")[1] != "0" }, "some windows are priced")
        let differing = Set(expected.keys).union(got.keys).filter { expected[$0] != got[$0] }.sorted()
        #expect(differing.isEmpty, "\(differing.count) windows differ, e.g. \(differing.prefix(5).map { "\($0): direct \(expected[$0] ?? "-"), routed \(got[$0] ?? "-")" })\nroute log:\n\(routeOutput)")
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
