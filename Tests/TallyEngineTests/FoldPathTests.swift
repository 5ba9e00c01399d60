import Testing
import TallyCore
import TallyWire
@testable import TallyEngine
import TallySeededRandom

/// The fold's shortcuts against the general path they replace (engine8): a held window folded
/// in one call (`WindowCache.foldIfHeld`) against a lookup then `fold(_:into:)`; a partition's
/// record noted in one call (`PartitionGroup.noteRecord`) against `notAtEnd`, `observe` and
/// `noteActivity`; the offset check-and-move in one probe against a read then a write; the
/// metric table built once against a search of the metrics; a record's input found by comparing
/// topic names against the topics' table.
@Suite struct FoldPathTests {
    typealias SplitMix = SplitMix64

    static func sample(_ random: inout SplitMix, resource: UInt32, hour: Int64) -> DecodedSample {
        DecodedSample(key: SampleKey(high: random.next(), low: random.next()), metric: Symbol(raw: 1), counterType: .gauge,
                      unit: .none, volume: ExactDecimal(coefficient: Int128(random.next() % 1_000), exponent: -Int32(random.next() % 3)),
                      timestamp: EventTime(micros: hour * 3_600_000_000 + Int64(random.next() % 3_600_000_000)),
                      project: Symbol(raw: 2), user: .none, resource: Symbol(raw: resource), metadata: UnsafeBufferPointer(start: nil, count: 0))
    }

    static func window(_ key: WindowKey, aggregation: Aggregation) -> WindowState {
        let bounds = WindowBounds(start: key.start, end: EventTime(micros: key.start.micros + 3_600_000_000))
        return WindowState(key: key, metric: 0, bounds: bounds, accumulator: Accumulator(aggregation: aggregation, window: bounds),
                           groupValues: [], metadata: [])
    }

    @Test(arguments: [Aggregation.sum, .increase, .timeWeightedAverage, .max])
    func aHeldWindowFoldsAsALookupThenAFold(aggregation: Aggregation) throws {
        var random = SplitMix(state: UInt64(aggregation.rawValue) + 1)
        let metric = try FoldPathTests.compiled(aggregation)
        var shortcut = WindowCache(), reference = WindowCache()
        var touchedShortcut: [WindowKey] = [], touchedReference: [WindowKey] = []
        for step in 0..<3_000 {
            let resource = UInt32(10 + random.next() % 12), hour = Int64(random.next() % 4)
            let key = WindowKey(start: EventTime(micros: hour * 3_600_000_000), metric: Symbol(raw: 1), scope: Symbol(raw: 2),
                                resource: Symbol(raw: resource), group: .none)
            let sample = FoldPathTests.sample(&random, resource: resource, hour: hour)
            let content = SampleKey(high: random.next(), low: random.next())
            let late = random.next() % 5 == 0, offset = Int64(step), partition = Int32(random.next() % 3)
            // Reference: look the window up (adding it if new), then fold into its slot.
            let referenceSlot = reference.slot(of: key) ?? reference.add(FoldPathTests.window(key, aggregation: aggregation), dirty: true)
            let reopenedReference = reference.fold(sample, into: referenceSlot, content: content, metric: metric, topic: 0,
                                                   partition: partition, offset: offset, late: late)
            let reopenedShortcut: Bool
            switch shortcut.foldIfHeld(sample, key: key, content: content, metric: metric, topic: 0,
                                       partition: partition, offset: offset, late: late) {
            case .folded(let held):
                #expect(reference.slot(of: key) != nil)
                reopenedShortcut = held
            case .missing(let probe):
                // The new window's key goes where the missed lookup stopped (no second lookup).
                let slot = shortcut.add(FoldPathTests.window(key, aggregation: aggregation), dirty: true, at: probe)
                reopenedShortcut = shortcut.fold(sample, into: slot, content: content, metric: metric, topic: 0,
                                                 partition: partition, offset: offset, late: late)
            }
            #expect(reopenedShortcut == reopenedReference)
            // Now and then a commit: some windows close, the dirty ones are written, closed ones dropped.
            if step % 97 == 96 {
                for cache in [0, 1] {
                    var closing: [WindowKey] = []
                    if cache == 0 { shortcut.writeDirty { closing.append($0.key) } } else { reference.writeDirty { closing.append($0.key) } }
                    if cache == 0 { touchedShortcut.append(contentsOf: closing) } else { touchedReference.append(contentsOf: closing) }
                }
                shortcut.dropClosed(); reference.dropClosed()
                let closeHour = Int64(random.next() % 4)
                for r in UInt32(10)..<22 {
                    let key = WindowKey(start: EventTime(micros: closeHour * 3_600_000_000), metric: Symbol(raw: 1),
                                        scope: Symbol(raw: 2), resource: Symbol(raw: r), group: .none)
                    if let s = shortcut.slot(of: key) { shortcut[s].closed = true }
                    if let s = reference.slot(of: key) { reference[s].closed = true }
                }
            }
        }
        #expect(touchedShortcut == touchedReference)
        #expect(shortcut.count == reference.count)
        var a: [WindowKey: WindowState] = [:], b: [WindowKey: WindowState] = [:]
        shortcut.writeDirty { a[$0.key] = $0 }
        reference.writeDirty { b[$0.key] = $0 }
        #expect(a.count == b.count)
        for (key, window) in a {
            let other = try #require(b[key])
            #expect(window.accumulator == other.accumulator)
            #expect(window.lineage == other.lineage && window.digest == other.digest)
            #expect(window.closed == other.closed && window.lastPointChanged == other.lastPointChanged)
        }
    }

    static func compiled(_ aggregation: Aggregation) throws -> MetricCatalog.Compiled {
        let config = try MetricsConfigLoader.load(yaml: """
            metrics:
              m:
                unit: u
                aggregation: \(aggregation.configName)
                period: PT1H
            """)
        return try MetricCatalog(config: config, symbols: SymbolTable()).metrics[0]
    }

    @Test(arguments: [1, 2, 3])
    func aRecordNotedInOneCallMovesThePartitionsAsThreeCalls(seed: UInt64) {
        var random = SplitMix(state: seed)
        var oneCall = PartitionGroup(), threeCalls = PartitionGroup()
        let pids = (0..<4).map { StreamRater.PartitionID(topic: UInt16($0 / 2), partition: Int32($0 % 2)) }
        for pid in pids.prefix(3) { oneCall.assign(pid); threeCalls.assign(pid) }
        for step in 0..<2_000 {
            let pid = pids[Int(random.next() % 4)]
            let wallNow = EventTime(micros: 1_700_000_000_000_000 + Int64(step) * 1_000_000)
            switch random.next() % 6 {
            case 0:
                oneCall.reachedEnd(pid); threeCalls.reachedEnd(pid)
            case 1:
                let idle = TimeSpan(micros: Int64(random.next() % 30) * 1_000_000)
                oneCall.advance(wallNow: wallNow, idleTimeout: idle, endOfInput: false, latestDue: nil)
                threeCalls.advance(wallNow: wallNow, idleTimeout: idle, endOfInput: false, latestDue: nil)
                #expect(oneCall.closingClock == threeCalls.closingClock)
            default:
                let latest: EventTime? = random.next() % 3 == 0 ? nil
                    : EventTime(micros: 1_700_000_000_000_000 + Int64(random.next() % 4_000) * 1_000_000)
                oneCall.noteRecord(pid, latestFolded: latest, wallNow: wallNow)
                threeCalls.notAtEnd(pid)
                if let latest { threeCalls.observe(pid, eventTime: latest, wallNow: wallNow) }
                threeCalls.noteActivity(pid, wallNow: wallNow)
            }
            #expect(oneCall.clocks == threeCalls.clocks)
        }
    }

    @Test func theOffsetCheckAndMoveIsAReadThenAWrite() {
        var random = SplitMix(state: 9)
        var offsets: [StreamRater.PartitionID: Int64] = [:], reference: [StreamRater.PartitionID: Int64] = [:]
        for _ in 0..<5_000 {
            let pid = StreamRater.PartitionID(topic: UInt16(random.next() % 2), partition: Int32(random.next() % 3))
            let offset = Int64(random.next() % 400)
            let fresh = StreamRater.advance(&offsets, pid, past: offset)
            var referenceFresh = true
            if let next = reference[pid], offset < next { referenceFresh = false } else { reference[pid] = offset + 1 }
            #expect(fresh == referenceFresh)
            #expect(offsets == reference)
        }
    }

    @Test func theMetricTableFindsEachMetricByNameAndNothingElse() throws {
        let symbols = SymbolTable()
        let before = symbols.intern("memory")  // interned before the catalog: a metric's name all the same
        let config = try MetricsConfigLoader.load(yaml: """
            metrics:
              cpu: {unit: s, aggregation: sum, period: PT1H}
              memory: {unit: MB, aggregation: max, period: PT1H}
              volume.size: {unit: GB, aggregation: last, period: PT1H}
            """)
        let catalog = try MetricCatalog(config: config, symbols: symbols)
        var random = SplitMix(state: 4)
        var later: [Symbol] = []
        for _ in 0..<500 { later.append(symbols.intern("s-\(random.next() % 10_000)")) }
        later.append(Symbol(raw: UInt32(symbols.count + 1000)))  // never interned
        later.append(.none)
        // The reference: a search of the metrics by name, as the table's lazy fill did.
        for symbol in [before, symbols.intern("cpu"), symbols.intern("volume.size")] + later {
            #expect(catalog.index(of: symbol) == catalog.metrics.firstIndex { $0.name == symbol })
        }
        #expect(catalog.index(of: before) == 1)
    }

    @Test(arguments: [["a"], ["metering.sample", "events", "metering.sample"], ["t0", "t1", "t2", "t3", "t4", "t5"]])
    func aRecordsInputIsTheOneTheTopicsTableNames(topics: [String]) throws {
        let settings = EngineSettings(inputs: topics.map { .init(topic: $0, format: .nativeOrCloudEvents) })
        let rater = try StreamRater(settings: settings, metrics: try MetricsConfigLoader.load(yaml: EngineHarness.metricsYAML),
                                    pricer: FlatPricer(), store: MemoryStateStore())
        // Names built anew (other string storage than the configuration's), and others.
        for name in topics.map({ String($0.utf8.map { Character(UnicodeScalar($0)) }) }) + ["", "metering", "t6", "A", "events "] {
            #expect(rater.input(ofTopic: name) == rater.topicIndex[name])
        }
    }
}
