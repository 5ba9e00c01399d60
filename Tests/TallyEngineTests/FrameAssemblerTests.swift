import Testing
import TallyCore
import TallyWire
@testable import TallyEngine

/// The frame assembler on its own: a window priced from its description, its frame
/// chained after the hash it is given, on the partition of its scope, handed to a sink or
/// returned for the outbox — the same bytes either way.
@Suite struct FrameAssemblerTests {
    final class Fixture {
        let symbols = SymbolTable()
        let catalog: MetricCatalog
        let cpu: Int  // cpu_hours: a sum at 0.5 per hour (FlatPricer)
        var settings = EngineSettings(inputs: [.init(topic: "tally.samples", format: .nativeOrCloudEvents)],
                                      framesPartitions: 4, deadLetterPartitions: 1, currency: "EUR")

        init() throws {
            catalog = try MetricCatalog(config: try MetricsConfigLoader.load(yaml: EngineHarness.metricsYAML), symbols: symbols)
            cpu = catalog.metrics.firstIndex { $0.definition.key == "cpu_hours" }!
        }

        func assembler() -> FrameAssembler {
            FrameAssembler(settings: settings, symbols: symbols, pricer: FlatPricer(), topicNames: ["tally.samples"])
        }

        func window(scope: String, volume: Int) -> WindowState {
            let start = EventTime(micros: 1_795_000_000_000_000 / 3_600_000_000 * 3_600_000_000)
            let bounds = WindowBounds(start: start, end: EventTime(micros: start.micros + 3_600_000_000))
            var accumulator = Accumulator(aggregation: .sum, window: bounds)
            accumulator.fold(ExactDecimal(volume), at: start, key: SampleKey(high: 2, low: UInt64(volume)))
            var w = WindowState(key: WindowKey(start: start, metric: catalog.metrics[cpu].name, scope: symbols.intern(scope),
                                               resource: symbols.intern("r1"), group: .none),
                                metric: cpu, bounds: bounds, accumulator: accumulator, groupValues: [], metadata: [])
            w.note(topic: 0, partition: 0, offset: 7)
            return w
        }
    }

    @Test func aWindowIsPricedAndItsFrameChainedOnItsScopesPartition() throws {
        let f = try Fixture()
        let frames = f.assembler()
        let metric = f.catalog.metrics[f.cpu]
        let w = f.window(scope: "acct-7", volume: 6)
        let (result, scope) = frames.price(w, metric: metric, quantity: ExactDecimal(6), usage: nil)
        #expect(scope == "acct-7")
        #expect(result.price == ExactDecimal("3"))
        let partition = frames.framesPartition(ofScope: w.key.scope)
        #expect(partition == ScopePartitions.partition(ofScope: "acct-7", count: 4))
        let first = frames.emit(w, metric: metric, quantity: ExactDecimal(6), result: result, status: .rated, scope: scope,
                                partition: partition, previousHash: "")
        let entry = try #require(first.entry)
        #expect(entry.kind == .frame && entry.topic == "tally.frames" && entry.partition == partition)
        #expect(entry.key == Array("acct-7".utf8))
        let text = String(decoding: entry.value, as: UTF8.self)
        #expect(text.contains(#""content_hash":"\#(first.contentHash)""#))
        #expect(text.contains(#""price":"3""#) && text.contains(#""output_partition":\#(partition)"#))

        // The next frame on the partition names this one's hash.
        let second = frames.emit(w, metric: metric, quantity: ExactDecimal(6), result: result, status: .rated, scope: scope,
                                 partition: partition, previousHash: first.contentHash)
        #expect(String(decoding: try #require(second.entry).value, as: UTF8.self).contains(#""previous_hash":"\#(first.contentHash)""#))
        // The content hash leaves the chain position out (docs/FRAMES.md): same content, same hash.
        #expect(second.contentHash == first.contentHash)
    }

    @Test func aRecordSinkTakesTheSameBytesAndNothingIsLeftForTheOutbox() throws {
        let f = try Fixture()
        let metric = f.catalog.metrics[f.cpu]
        let w = f.window(scope: "acct-7", volume: 2)
        func emitted(_ frames: FrameAssembler) -> (String, OutboxEntry?) {
            let (result, scope) = frames.price(w, metric: metric, quantity: ExactDecimal(2), usage: nil)
            return frames.emit(w, metric: metric, quantity: ExactDecimal(2), result: result, status: .rated, scope: scope,
                               partition: 1, previousHash: "ab")
        }
        let outboxed = emitted(f.assembler())
        let sinking = f.assembler()
        var sunk: [[UInt8]] = []
        sinking.frameRecordSink = { sunk.append($0) }
        let taken = emitted(sinking)
        #expect(taken.1 == nil)
        #expect(sunk == [try #require(outboxed.1).value])
        #expect(taken.0 == outboxed.0)
    }

    @Test func aGroupTaskWritesOnlyItsOwnPartition() throws {
        let f = try Fixture()
        f.settings.ownedFramesPartition = 3
        let frames = f.assembler()
        for scope in ["a", "b", "c", "acct-7"] { #expect(frames.framesPartition(ofScope: f.symbols.intern(scope)) == 3) }
    }
}
