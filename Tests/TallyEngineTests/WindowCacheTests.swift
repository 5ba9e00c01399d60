import Testing
import TallyCore
@testable import TallyEngine

/// The window cache's batch bookkeeping: a commit writes exactly the windows changed in
/// the batch, then memory keeps exactly the open ones, without walking them.
@Suite struct WindowCacheTests {
    static func window(_ resource: UInt32, hour: Int64 = 0) -> WindowState {
        let start = EventTime(micros: hour * 3_600_000_000)
        let bounds = WindowBounds(start: start, end: EventTime(micros: start.micros + 3_600_000_000))
        return WindowState(key: WindowKey(start: start, metric: Symbol(raw: 1), scope: Symbol(raw: 2),
                                          resource: Symbol(raw: resource), group: .none),
                           metric: 0, bounds: bounds, accumulator: Accumulator(aggregation: .sum, window: bounds),
                           groupValues: [], metadata: [])
    }

    /// What `writeDirty` hands over, as resource numbers in a set.
    static func written(_ cache: inout WindowCache) -> Set<UInt32> {
        var resources = Set<UInt32>()
        cache.writeDirty { resources.insert($0.key.resource.raw) }
        return resources
    }

    @Test func aCommitWritesTheChangedWindowsAndKeepsOnlyTheOpenOnes() {
        var cache = WindowCache()
        let a = cache.add(WindowCacheTests.window(1), dirty: true)
        let b = cache.add(WindowCacheTests.window(2), dirty: true)
        #expect(WindowCacheTests.written(&cache) == [1, 2])
        cache.dropClosed()
        #expect(cache.count == 2)

        // Next batch: a changes and closes, b is untouched.
        var closing = cache[a]
        closing.closed = true
        cache.store(closing, in: a)
        #expect(WindowCacheTests.written(&cache) == [1])
        cache.dropClosed()
        #expect(cache.count == 1)
        #expect(cache.slot(of: WindowCacheTests.window(1).key) == nil)
        #expect(cache.slot(of: WindowCacheTests.window(2).key) == b)
        #expect(cache.isOpen(b))

        // The freed slot is reused by the next window.
        let c = cache.add(WindowCacheTests.window(3), dirty: true)
        #expect(c == a)
        #expect(cache[c].key.resource.raw == 3)
    }

    @Test func aCommitWritesEachDirtyWindowOnceInFoldOrder() {
        var cache = WindowCache()
        // Added out of key order, over three window starts; one changed again before the
        // commit. Written in the order they became dirty, not sorted by key (sorting raised
        // `tally-bench memory`'s peak RSS by ~150 MiB: WindowCache.writeDirty).
        var slots: [Int] = []
        for (resource, hour) in [(5, 2), (3, 0), (9, 1), (1, 2), (4, 0), (2, 1)] as [(UInt32, Int64)] {
            slots.append(cache.add(WindowCacheTests.window(resource, hour: hour), dirty: true))
        }
        var again = cache[slots[2]]
        again.revision += 1
        cache.store(again, in: slots[2])
        var order: [WindowKey] = []
        cache.writeDirty { order.append($0.key) }
        #expect(order.count == 6)
        #expect(order.map(\.resource.raw) == [5, 3, 9, 1, 4, 2])
        var none: [WindowKey] = []
        cache.writeDirty { none.append($0.key) }
        #expect(none.isEmpty)
    }

    @Test func aClosedWindowReadBackAndLeftAloneIsDroppedWithoutBeingWritten() {
        var cache = WindowCache()
        var stored = WindowCacheTests.window(7, hour: 5)
        stored.closed = true
        let slot = cache.add(stored, dirty: false)
        #expect(cache.count == 1)
        #expect(!cache.isOpen(slot))
        #expect(WindowCacheTests.written(&cache).isEmpty)
        cache.dropClosed()
        #expect(cache.count == 0)
        #expect(cache.slot(of: stored.key) == nil)
    }

    @Test func aWindowReadBackReopenedAndClosedAgainIsWrittenOnceAndDropped() {
        var cache = WindowCache()
        var stored = WindowCacheTests.window(8)
        stored.closed = true
        let slot = cache.add(stored, dirty: false)
        cache[slot].closed = false  // reopened
        var closing = cache[slot]
        closing.closed = true
        closing.revision += 1
        cache.store(closing, in: slot)  // touched twice now
        cache.markDirty(slot)
        #expect(WindowCacheTests.written(&cache) == [8])
        cache.dropClosed()
        #expect(cache.count == 0)
        // Its slot is free exactly once.
        let first = cache.add(WindowCacheTests.window(9), dirty: true)
        let second = cache.add(WindowCacheTests.window(10), dirty: true)
        #expect(first == slot)
        #expect(second != slot)
    }

    @Test func restoredWindowsAreHeldCleanAndFoundByKey() {
        var cache = WindowCache()
        for r in UInt32(1)...100 { cache.restore(WindowCacheTests.window(r)) }
        #expect(cache.count == 100)
        #expect(WindowCacheTests.written(&cache).isEmpty)
        cache.dropClosed()
        #expect(cache.count == 100)
        let found = cache.firstSlot { $0.key.resource.raw == 42 }
        #expect(found.map { cache[$0].key.resource.raw } == 42)
        #expect(cache.firstSlot { $0.key.resource.raw == 1_000 } == nil)
    }

    @Test func aNewWindowInAFreedSlotStartsEmptyWithItsOwnValues() {
        var cache = WindowCache()
        var old = WindowCacheTests.window(1)
        old.groupValues = [MetaValue(kind: .string, text: Symbol(raw: 11))]
        old.metadata = [MetaValue(kind: .string, text: Symbol(raw: 12)), MetaValue(kind: .int, text: Symbol(raw: 13))]
        old.note(topic: 0, partition: 3, offset: 99)
        old.revision = 4
        old.closed = true
        let slot = cache.add(old, dirty: true)
        _ = WindowCacheTests.written(&cache)
        cache.dropClosed()
        #expect(cache.count == 0)

        let fresh = WindowCacheTests.window(2, hour: 1)
        let reused = cache.addNew(key: fresh.key, metric: 0, bounds: fresh.bounds, accumulator: fresh.accumulator,
                                  metadataCount: 1, at: cache.probe(fresh.key)) { $0.append(MetaValue(kind: .int, text: Symbol(raw: 21))) }
        #expect(reused == slot)
        let w = cache[reused]
        #expect(w.key == fresh.key && w.bounds == fresh.bounds)
        #expect(w.groupValues == [MetaValue(kind: .int, text: Symbol(raw: 21))])
        #expect(w.metadata == [.absent])
        #expect(w.lineage.isEmpty && w.revision == 0 && !w.closed && w.dirty)
        #expect(cache.slot(of: fresh.key) == reused && cache.slot(of: old.key) == nil)
        #expect(WindowCacheTests.written(&cache) == [2])
    }
}
