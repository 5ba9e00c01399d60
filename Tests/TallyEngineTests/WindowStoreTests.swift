import Testing
import TallyCore
import TallyWire
@testable import TallyEngine

/// The window store on its own, over a memory store: windows written, read back, reopened
/// at the clock; the last points closing reads; and a failed read kept for the commit.
@Suite struct WindowStoreTests {
    static let hour: Int64 = 3_600_000_000

    final class Fixture {
        let store = MemoryStateStore()
        let symbols = SymbolTable()
        let catalog: MetricCatalog
        let windows: WindowStore
        let counter: Int  // bytes_out: an increase, so its last points are kept

        init(store: StateStore? = nil) throws {
            catalog = try MetricCatalog(config: try MetricsConfigLoader.load(yaml: EngineHarness.metricsYAML), symbols: symbols)
            counter = catalog.metrics.firstIndex { $0.definition.key == "bytes_out" }!
            windows = WindowStore(store: store ?? self.store, catalog: catalog, topicIndex: ["tally.samples": 0])
        }

        /// A counter window of `resource` for hour `hour`, with one point of `value` in it.
        func window(_ resource: String, hour: Int64, value: Int, closed: Bool) -> WindowState {
            let start = EventTime(micros: hour * WindowStoreTests.hour)
            let bounds = WindowBounds(start: start, end: EventTime(micros: start.micros + WindowStoreTests.hour))
            var accumulator = Accumulator(aggregation: .increase, window: bounds)
            accumulator.fold(ExactDecimal(value), at: EventTime(micros: start.micros + 60_000_000), key: SampleKey(high: 1, low: UInt64(value)))
            var w = WindowState(key: WindowKey(start: start, metric: catalog.metrics[counter].name, scope: symbols.intern("p1"),
                                               resource: symbols.intern(resource), group: .none),
                                metric: counter, bounds: bounds, accumulator: accumulator, groupValues: [], metadata: [])
            w.closed = closed
            w.revision = closed ? 1 : 0
            return w
        }

        func commit() throws {
            try store.write { txn in try windows.persist(into: txn, topics: [Array("tally.samples".utf8)]) }
            windows.dropClosed()
        }
    }

    @Test func aClosedWindowIsWrittenReadBackAndReopenedAtTheClock() throws {
        let f = try Fixture()
        let closed = f.window("r1", hour: 10, value: 5, closed: true)
        _ = f.windows.cache.add(closed, dirty: true)
        try f.commit()
        #expect(f.windows.cache.count == 0)  // durable now, so memory lets it go

        let loaded = try #require(try f.windows.load(closed.key, metric: f.counter))
        #expect(loaded.closed && loaded.revision == 1 && loaded.bounds == closed.bounds)
        #expect(loaded.accumulator.lastPoint == closed.accumulator.lastPoint)
        let record = closed.encoded(topics: [Array("tally.samples".utf8)])
        #expect(try record.withUnsafeBytes { try WindowState.end(ofRecord: $0) } == closed.bounds.end)

        let clock = EventTime(micros: 12 * WindowStoreTests.hour)
        #expect(!f.windows.reopen(closed.key, metric: f.counter, repricing: true, at: nil))  // no clock yet
        #expect(f.windows.reopen(closed.key, metric: f.counter, repricing: true, at: clock))
        let slot = try #require(f.windows.cache.slot(of: closed.key))
        #expect(f.windows.cache.isOpen(slot) && f.windows.cache[slot].repricing)
        // A second request that may not revise wins over one that must.
        #expect(f.windows.reopen(closed.key, metric: f.counter, repricing: false, at: clock))
        #expect(!f.windows.cache[slot].repricing)
        #expect(f.windows.closeQueue.popDue(clock).map(\.key) == [closed.key])

        let missing = f.window("r2", hour: 10, value: 1, closed: true).key
        #expect(!f.windows.reopen(missing, metric: f.counter, repricing: false, at: clock))
        #expect(f.windows.readFailure == nil)
    }

    @Test func theNextWindowStartsFromTheLastPointOfTheOneThatClosedBeforeIt() throws {
        let f = try Fixture()
        let definition = f.catalog.metrics[f.counter].definition
        let first = f.window("r1", hour: 10, value: 7, closed: true)
        let next = f.window("r1", hour: 11, value: 9, closed: false)
        #expect(f.windows.previousPoint(of: next.key, definition: definition, metric: f.counter) == nil)
        f.windows.noteClosed(first, definition: definition)
        // Neither in memory nor in the store: the recently closed windows' points answer.
        #expect(f.windows.previousPoint(of: next.key, definition: definition, metric: f.counter) == first.accumulator.lastPoint)
        #expect(f.windows.closedLastPoints.count == 1)
        try f.store.write { txn in
            try f.windows.purgeExpired(clock: EventTime(micros: 40 * WindowStoreTests.hour),
                                       horizon: EventTime(micros: 30 * WindowStoreTests.hour), in: txn)
        }
        #expect(f.windows.closedLastPoints.count == 0)
    }

    @Test func aStoredWindowPastItsRetentionIsPurgedAndAnOpenOneIsNot() throws {
        let f = try Fixture()
        let old = f.window("r1", hour: 10, value: 1, closed: true)
        let open = f.window("r2", hour: 10, value: 1, closed: false)
        _ = f.windows.cache.add(old, dirty: true)
        _ = f.windows.cache.add(open, dirty: true)
        try f.commit()
        // bytes_out keeps a window 6 h past its end + 5 min grace.
        try f.store.write { txn in
            try f.windows.purgeExpired(clock: EventTime(micros: 20 * WindowStoreTests.hour),
                                       horizon: EventTime(micros: 19 * WindowStoreTests.hour), in: txn)
        }
        #expect(try f.windows.load(old.key, metric: f.counter) == nil)
        #expect(try f.windows.load(open.key, metric: f.counter) != nil)

        let restored = try Fixture(store: f.store)
        try f.store.read { txn in try restored.windows.restore(from: txn) }
        #expect(restored.windows.cache.count == 1)
        #expect(restored.windows.cache.slot(of: open.key) != nil)
    }

    /// A store whose reads fail.
    final class FailingStore: StateStore {
        struct Failure: Error {}
        func write<T>(_ body: (StateTransaction) throws -> T) throws -> T { throw Failure() }
        func read<T>(_ body: (StateTransaction) throws -> T) throws -> T { throw Failure() }
        var sizeOnDisk: Int { 0 }
    }

    @Test func aFailedReadIsKeptForTheCommitNotTakenForAMissingWindow() throws {
        let f = try Fixture(store: FailingStore())
        let key = f.window("r1", hour: 10, value: 1, closed: true).key
        #expect(!f.windows.reopen(key, metric: f.counter, repricing: false, at: EventTime(micros: 12 * WindowStoreTests.hour)))
        #expect(f.windows.readFailure is FailingStore.Failure)
    }
}
