import Foundation
@testable import TallyAudit
import TallyDemo
import TallyRuntime
import Testing
import TallyCore
import TallyEngine
import TallyWire

/// A replay diffs the engine's frame values instead of parsing its own bytes back: what
/// it takes from a value must be exactly what the old path took from the bytes, or the
/// replay's output would change. Broker-free: the engine runs over records at hand.
@Suite struct ReplayFrameValueTests {
    static let start = EventTime(micros: 1_793_491_200_000_000)  // 2026-11-01T00:00:00Z

    /// Six hours of simulated usage, spread over three partitions, in partition then offset order.
    static func inputs() -> [ReplayEngine.Input] {
        let simulator = UsageSimulator(seed: 17, start: start, hours: 6, projects: 3, instancesPerProject: 2, volumesPerProject: 1)
        let records = CeilometerEncoder.records(simulator.samples(), perRecord: 10)
        var byPartition: [[ReplayEngine.Input]] = [[], [], []]
        for (i, value) in records.enumerated() {
            let p = i % 3
            byPartition[p].append(ReplayEngine.Input(topic: "metering.sample", partition: Int32(p),
                                                     offset: Int64(byPartition[p].count), value: value))
        }
        return byPartition.flatMap { $0 }
    }

    static func engine() throws -> ReplayEngine {
        var config = ServiceConfig(bootstrapServers: "", statePath: "", metricsFile: "")
        config.inputs = [ServiceConfig.Input(topic: "metering.sample", format: .ceilometer)]
        return ReplayEngine(config: config, metrics: try MetricsConfigLoader.load(yaml: DemoFiles.metrics), inputs: inputs())
    }

    static func rulesPricer() throws -> WindowPricer {
        let path = NSTemporaryDirectory() + "replay-frame-values-\(getpid()).yaml"
        try DemoFiles.rules.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try PricerFactory.make(rulesFile: path)
    }

    @Test func aFrameValueGivesTheSummaryBodyAndBytesItsSealedBytesGive() throws {
        var frames = 0
        var problems: [String] = []
        try Self.engine().run(pricer: try Self.rulesPricer(), wallNow: Self.start + .days(2)) { frame, bytes in
            frames += 1
            guard let parsed = try? FrameRecord(bytes: bytes) else { problems.append("\(frame.frameId): unreadable"); return }
            if EmittedFrameSummary(frame) != EmittedFrameSummary(parsed) { problems.append("\(frame.frameId): summary \(EmittedFrameSummary(frame)) ≠ \(EmittedFrameSummary(parsed))") }
            if FrameRecord(frame: frame, bytes: bytes).members != parsed.members { problems.append("\(frame.frameId): member tree differs") }
            var resealed = frame
            if resealed.seal(previousHash: frame.previousHash) != bytes { problems.append("\(frame.frameId): sealing again gives other bytes") }
        }
        #expect(frames > 100, "the fixture should close many windows, closed \(frames)")
        #expect(problems.isEmpty, "\(problems.prefix(5))")
    }

    /// The diff against frames emitted with other prices: every window differs, and the
    /// correction command carries, for each, exactly the body its bytes parse to.
    @Test func theCorrectionCommandCarriesWhatTheReplayedBytesSay() throws {
        let engine = try Self.engine()
        let wallNow = Self.start + .days(2)
        // "Emitted": the same input rated flat, sealed on the frames partitions in closing order.
        var emitted: [TopicIO.Record] = []
        var emittedOn: [String: Int32] = [:]
        try engine.run(pricer: FlatPricer(), wallNow: wallNow) { frame, bytes in
            emitted.append(TopicIO.Record(partition: frame.outputPartition, offset: Int64(emitted.count), key: nil, value: bytes))
            emittedOn[frame.frameId] = frame.outputPartition
        }
        let request = ReplayRequest(from: Self.start, to: Self.start + .hours(6))
        var builder = ReplayDiff.Builder(request: request, emitted: EmittedFrames.latestSummaries(records: emitted, request: request),
                                         currency: "EUR")
        var replayedBytes: [String: [UInt8]] = [:]
        try engine.run(pricer: try Self.rulesPricer(), wallNow: wallNow) { frame, bytes in
            builder.add(frame)
            replayedBytes[frame.frameId] = bytes
        }
        let diff = builder.build()
        #expect(diff.changed.count > 50, "candidate prices should change most windows: \(diff.changed.count) of \(diff.frames.count)")
        #expect(diff.frames.allSatisfy { $0.old != nil && $0.new != nil }, "both sides have every window")
        let commands = ReplayCorrections.commands(diff: diff, request: request, replayId: "r", author: "a", reason: "why",
                                                  rulesIdentity: "file@x", ruleset: nil)
        let items = commands.flatMap(\.items)
        #expect(items.count == diff.changed.count)
        for item in items {
            let parsed = try FrameRecord(bytes: try #require(replayedBytes[item.frameId]))
            // The item names the partition of the emitted frame's chain (group mode's task executes it).
            #expect(item == CorrectionCommand.Item(frameId: item.frameId, baseRevision: 1, body: parsed.body,
                                                   partition: try #require(emittedOn[item.frameId])))
        }
    }
}
