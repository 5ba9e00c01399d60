import TallyCore
import TallyEngine
import TallyWire

/// Drives a `StreamRater` over a memory store without a broker: records in,
/// outgoing messages out, with the wall clock under the test's control.
final class EngineHarness {
    static let metricsYAML = """
    idle_timeout: PT1M
    metrics:
      cpu_hours:
        unit: hour
        aggregation: sum
        period: PT1H
        grace: PT5M
        retention: PT2H
        price_per_unit: "0.5"
      bytes_out:
        unit: B
        aggregation: increase
        period: PT1H
        grace: PT5M
        retention: PT6H
      instance:
        unit: instance
        aggregation: max
        period: PT1H
        grace: PT5M
        retention: PT2H
        groupby: [id, project_id, flavor_name]
        metadata: [vcpus]
        price_per_unit: "1.25"
    """

    let store: MemoryStateStore
    var rater: StreamRater
    var offsets: [Int32: Int64] = [:]
    var sent: [OutgoingMessage] = []
    var wallNow = EventTime(micros: 1_795_000_000_000_000)  // 2026-11-18, after the samples below

    let rules: String?

    /// Set: the rater is a group task writing only this frames partition (docs/SCALE.md).
    let ownedFramesPartition: Int32?

    init(store: MemoryStateStore = MemoryStateStore(), rules: String? = nil, ownedFramesPartition: Int32? = nil) throws {
        self.store = store
        self.rules = rules
        self.ownedFramesPartition = ownedFramesPartition
        rater = try EngineHarness.makeRater(store, rules: rules, ownedFramesPartition: ownedFramesPartition)
        _ = try rater.restore(wallNow: wallNow)
    }

    static func makeRater(_ store: StateStore, rules: String?, ownedFramesPartition: Int32? = nil) throws -> StreamRater {
        var settings = EngineSettings(inputs: [.init(topic: "tally.samples", format: .nativeOrCloudEvents)],
                                      framesPartitions: 2, deadLetterPartitions: 1, currency: "EUR")
        settings.ownedFramesPartition = ownedFramesPartition
        let pricer: WindowPricer = try rules.map {
            RuleBookPricer(rater: Rater(book: try RulesetFile.load(yaml: $0)), version: nil, hash: nil)
        } ?? FlatPricer()
        return try StreamRater(settings: settings, metrics: try MetricsConfigLoader.load(yaml: metricsYAML),
                               pricer: pricer, store: store)
    }

    /// Simulates a crash: a new rater on the same store, with whatever was committed.
    func restart() throws -> [OutgoingMessage] {
        rater = try EngineHarness.makeRater(store, rules: rules, ownedFramesPartition: ownedFramesPartition)
        let (resend, positions) = try rater.restore(wallNow: wallNow)
        for p in positions { offsets[p.partition] = p.offset }
        return resend
    }

    static func sample(id: String, metric: String = "cpu_hours", volume: String, at time: String,
                       project: String = "p1", resource: String = "r1", flavor: String? = nil) -> String {
        let meta = flavor.map { #"{"flavor_name":"\#($0)","vcpus":2}"# } ?? "{}"
        return #"{"id":"\#(id)","metric":"\#(metric)","type":"gauge","unit":"u","volume":\#(volume),"timestamp":"\#(time)","project_id":"\#(project)","user_id":"u1","resource_id":"\#(resource)","metadata":\#(meta)}"#
    }

    /// Feeds `values` as the next records of `partition`, then commits the batch.
    @discardableResult
    func feed(_ values: [String], partition: Int32 = 0, endOfInput: Bool = false) throws -> [OutgoingMessage] {
        if rater.needsPreview {
            // As the run loop does before the closing clock exists (StreamRater+PreClock.swift).
            for (i, value) in values.enumerated() {
                var bytes = Array(value.utf8)
                bytes.withUnsafeMutableBytes { raw in
                    rater.preview(InputRecord(topic: "tally.samples", partition: partition,
                                              offset: offsets[partition, default: 0] + Int64(i), key: nil,
                                              value: UnsafeRawBufferPointer(raw)), wallNow: wallNow)
                }
            }
        }
        for value in values {
            let offset = offsets[partition, default: 0]
            offsets[partition] = offset + 1
            var bytes = Array(value.utf8)
            bytes.withUnsafeMutableBytes { raw in
                rater.fold(InputRecord(topic: "tally.samples", partition: partition, offset: offset, key: nil,
                                       value: UnsafeRawBufferPointer(raw)), wallNow: wallNow)
            }
        }
        let out = try rater.commitBatch(wallNow: wallNow, endOfInput: endOfInput)
        sent += out
        for m in out { rater.acknowledge(m.token) }
        return out
    }

    func frames(_ messages: [OutgoingMessage]? = nil) -> [[String: Any]] {
        (messages ?? sent).filter { $0.topic == "tally.frames" }.map { EngineHarness.parse($0.value) }
    }

    func deadLetters() -> [[String: Any]] {
        sent.filter { $0.topic == "tally.deadletter" }.map { EngineHarness.parse($0.value) }
    }

    static func parse(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONTestParser.parse(bytes)) as? [String: Any] ?? [:]
    }
}
