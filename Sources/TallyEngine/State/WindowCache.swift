import TallyCore
import CTallySIMD

/// The windows a rater holds in memory: open ones, and those closed, reopened or read
/// back from the store in the current batch. Kafka Streams' state store cache, for one task.
///
/// Windows live in slots (`windows`), found by key through `WindowIndex`; a freed slot is
/// reused, and a new window in it takes over the storage of the arrays of the window it
/// held (`addNew`). The cache keeps the batch's *touched* slots — every slot whose window was
/// created, changed, or read back from the store in this batch — so that the commit writes
/// the dirty windows among them and then drops the closed ones, without walking every
/// open window (that walk cost O(open windows) per commit).
///
/// A struct the task holds directly (no protocol dispatch per sample); the task mutates a
/// window in place through `self[slot]`.
struct WindowCache {
    /// A freed slot (in `freeSlots`) still holds its last window, closed, whose arrays a new
    /// window reuses; it is in no index entry, so nothing reads it.
    private var windows: [WindowState?] = []
    private var freeSlots: [Int] = []
    private var index = WindowIndex()
    /// Slots touched in this batch, each at most once while its window is dirty (a slot
    /// read back without a change may appear twice; `commit` tolerates it).
    private var touched: [Int] = []

    /// Windows held (open, or closed in this batch and not yet committed).
    var count: Int { index.count }

    /// The slot holding `key`'s window, if it is in memory.
    func slot(of key: WindowKey) -> Int? { index[key] }

    /// Hints for closing (nothing is decided on them): the windows due at a commit were last
    /// touched long before, so their index entries and states are misses to memory. Closing a
    /// window takes microseconds, so the closing loop asks for the index entry of a window two
    /// ahead and, through it, the state of the next one, while it closes this one.
    func prefetchIndexEntry(of key: WindowKey) { index.prefetch(key) }

    /// Starts loading the state of `key`'s window, if it is held (see `prefetchIndexEntry`).
    func prefetchWindow(of key: WindowKey) {
        guard let slot = index[key] else { return }
        windows.withUnsafeBufferPointer { buffer in
            let start = UnsafeRawPointer(buffer.baseAddress! + slot)
            for offset in stride(from: 0, to: MemoryLayout<WindowState?>.stride, by: 64) { tally_prefetch(start + offset) }
        }
    }

    /// One probe of the index for `key` (`add` and `addNew` take it where a lookup missed).
    func probe(_ key: WindowKey) -> WindowIndex.Probe { index.probe(key) }

    /// The window in `slot`, read or changed in place. The slot must hold one.
    subscript(slot: Int) -> WindowState {
        _read { yield windows[slot]! }
        _modify { yield &windows[slot]! }
    }

    /// Whether `slot` holds a window that is still open.
    ///
    /// Here and below a slot's window is read as `windows[slot] != nil && windows[slot]!.x`,
    /// never `windows[slot]?.x`: optional chaining on the element copies the whole window (a
    /// retain and a release of each of its arrays; swiftc -O's assembly), the other form reads
    /// the one field in place. So does lending it through `self[slot]`: `writeDirty` passes it inout.
    func isOpen(_ slot: Int) -> Bool { windows[slot] != nil && !windows[slot]!.closed }

    /// Adds `window` (new, or read back from the store) and returns its slot. `dirty`: it
    /// must be written at commit (a new window); a window read back only to look at or to
    /// reopen is written if it changes.
    /// Takes `window` over (consumed, so a new window is moved in rather than copied).
    /// `probe`: where a lookup of its key that missed stopped (`foldIfHeld`), if nothing changed since.
    mutating func add(_ window: consuming WindowState, dirty: Bool, at probe: WindowIndex.Probe? = nil) -> Int {
        window.dirty = dirty
        let key = window.key
        let slot: Int
        if let free = freeSlots.popLast() { slot = free; windows[slot] = window } else { slot = windows.count; windows.append(window) }
        if let probe { index.insert(key, slot: slot, at: probe) } else { index[key] = slot }
        touched.append(slot)
        return slot
    }

    /// Adds a new window (dirty) for `key` and returns its slot. In a freed slot, its arrays
    /// are the last window's, emptied with their storage kept: three arrays allocated per
    /// new window (group values, metadata, lineage) and freed when it left memory were a
    /// malloc and a free each for every window of a batch; so is the array of points an
    /// `increase` or `time_weighted_avg` window keeps (`Accumulator.reuseStorage`). `groupValues` fills its group
    /// values; its metadata starts as `metadataCount` absent values. `probe`: where the lookup of
    /// `key` that missed stopped (`foldIfHeld`); nothing may have changed in the cache since.
    mutating func addNew(key: WindowKey, metric: Int, bounds: WindowBounds, accumulator: Accumulator,
                         metadataCount: Int, at probe: WindowIndex.Probe,
                         groupValues fill: (inout [MetaValue]) -> Void) -> Int {
        var accumulator = accumulator
        var groupValues: [MetaValue] = [], metadata: [MetaValue] = [], lineage: [LineageEntry] = []
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            if windows[slot] != nil {
                // Moved out, not copied: the slot lets go of them, so they stay unique.
                swap(&groupValues, &windows[slot]!.groupValues)
                swap(&metadata, &windows[slot]!.metadata)
                swap(&lineage, &windows[slot]!.lineage)
                groupValues.removeAll(keepingCapacity: true)
                metadata.removeAll(keepingCapacity: true)
                lineage.removeAll(keepingCapacity: true)
                accumulator.reuseStorage(of: &windows[slot]!.accumulator)  // its points' array, if both keep points
            }
        } else {
            slot = windows.count
            windows.append(nil)
        }
        fill(&groupValues)
        metadata.append(contentsOf: repeatElement(.absent, count: metadataCount))
        windows[slot] = WindowState(key: key, metric: metric, bounds: bounds, accumulator: accumulator,
                                    groupValues: groupValues, metadata: metadata, lineage: lineage)
        index.insert(key, slot: slot, at: probe)
        touched.append(slot)
        return slot
    }

    /// Adds a window restored at start (open, already stored: not dirty).
    mutating func restore(_ window: WindowState) {
        var window = window
        window.dirty = false
        index[window.key] = windows.count
        windows.append(window)
    }

    /// Folds `sample` into the window in `slot` and marks it dirty; a closed window is
    /// reopened (the caller queues it to close again). Returns whether it was closed. `late`:
    /// the window is past its closing time. One mutating call, so the rater's fold pays one
    /// dynamic exclusivity check on its window store's `cache`, not one per field it touches.
    ///
    /// The window is lent inout for the whole fold (`WindowState.fold(_:late:...)`): read here
    /// as `windows[slot]!.closed`, the whole window was copied first, a retain and a release of
    /// each of its arrays (~650 instructions a sample in callgrind, ~7% of the fold).
    mutating func fold(_ sample: DecodedSample, into slot: Int, content: SampleKey, metric: MetricCatalog.Compiled,
                       topic: UInt16, partition: Int32, offset: Int64, late: Bool) -> Bool {
        let (reopening, wasDirty) = windows[slot]!.fold(sample, content: content, metric: metric, topic: topic,
                                                        partition: partition, offset: offset, late: late)
        if !wasDirty { touched.append(slot) }
        return reopening
    }

    /// What `foldIfHeld` did: folded into a held window (whether it reopened it), or found no
    /// window, with where its key goes in the index.
    enum HeldFold {
        case folded(reopened: Bool)
        /// Not in memory: `add(_:dirty:at:)` or `addNew(...at:)` insert its key where this probe
        /// stopped, if the cache did not change in between (one probe of the index for a new
        /// window, where a second lookup and the insert's own probe cost two more).
        case missing(WindowIndex.Probe)
    }

    /// Folds `sample` into `key`'s window if it is in memory, as `fold(_:into:...)` does;
    /// else `.missing` with the probe. The lookup and the fold are one mutating call: one
    /// exclusivity check on the store's `cache` for a sample of a window already held (most
    /// samples), not two.
    mutating func foldIfHeld(_ sample: DecodedSample, key: WindowKey, content: SampleKey, metric: MetricCatalog.Compiled,
                             topic: UInt16, partition: Int32, offset: Int64, late: Bool) -> HeldFold {
        let probe = index.probe(key)
        guard probe.found else { return .missing(probe) }
        return .folded(reopened: fold(sample, into: index.slot(at: probe), content: content, metric: metric, topic: topic,
                                      partition: partition, offset: offset, late: late))
    }

    /// The window in `slot` changed: it is written at the next commit.
    mutating func markDirty(_ slot: Int) {
        guard !windows[slot]!.dirty else { return }
        windows[slot]!.dirty = true
        touched.append(slot)
    }

    /// Moves the window out of `slot` for closing, which `store` puts back: a copy would
    /// retain each of its arrays and release them again, for every window closed. Until
    /// then the slot reads as empty (closing looks up other windows only).
    mutating func takeOut(_ slot: Int) -> WindowState {
        var window: WindowState?
        swap(&window, &windows[slot])
        return window!
    }

    /// Puts `window` into `slot` (taken out, or replacing what is there), marking it dirty.
    mutating func store(_ window: consuming WindowState, in slot: Int) {
        let wasDirty = windows[slot] != nil ? windows[slot]!.dirty : window.dirty
        window.dirty = true
        windows[slot] = window
        if !wasDirty { touched.append(slot) }
    }

    /// Calls `write` with every dirty window of the batch, then marks them clean.
    /// Each window is lent in place, inout (`write` only reads it): passed by value or
    /// borrowed through `self[slot]` it was copied (in `tally-bench fold`'s profile, ~20% of
    /// the store phase's samples).
    ///
    /// In `touched` order (fold order, then close order), not sorted by key: session 30's
    /// branch foldstore wrote them in key order, for the B-tree to take the puts one page
    /// after another, and `tally-bench memory` (1 M open windows, 10 k new windows a batch
    /// spread over the tree) rose from 980 to 1,133 MiB peak RSS with it alone.
    mutating func writeDirty(_ write: (inout WindowState) throws -> Void) rethrows {
        for slot in touched {
            guard windows[slot] != nil, windows[slot]!.dirty else { continue }
            try write(&windows[slot]!)
            windows[slot]!.dirty = false
        }
    }

    /// After the commit: closed windows are durable, so memory keeps only open ones.
    mutating func dropClosed() {
        for slot in touched {
            guard windows[slot] != nil, windows[slot]!.closed else { continue }
            let key = windows[slot]!.key
            guard index[key] == slot else { continue }
            index[key] = nil
            freeSlots.append(slot)  // the window stays, for `addNew` to reuse its arrays
        }
        touched.removeAll(keepingCapacity: true)
    }

    /// The slot of the first held window, in no particular order, for which `matches` holds.
    func firstSlot(where matches: (WindowState) -> Bool) -> Int? {
        index.firstSlot { _, slot in windows[slot].map(matches) ?? false }
    }
}

extension WindowState {
    /// `fold(_:content:...)` with what the cache keeps beside it: a closed window reopens, and a
    /// window past its closing time (closed, or created by this late sample) whose last point
    /// moves changes the baseline of the window after it. Returns whether the window was closed
    /// and whether it was dirty already (else the cache notes it as touched).
    fileprivate mutating func fold(_ sample: DecodedSample, content: SampleKey, metric: MetricCatalog.Compiled,
                                   topic: UInt16, partition: Int32, offset: Int64, late: Bool) -> (reopening: Bool, wasDirty: Bool) {
        let reopening = closed
        let lastBefore = reopening || late ? accumulator.lastPoint : nil
        fold(sample, content: content, metric: metric, topic: topic, partition: partition, offset: offset)
        let aggregation = metric.definition.aggregation
        if reopening || late, aggregation == .increase || aggregation == .timeWeightedAverage,
           accumulator.lastPoint != lastBefore {
            lastPointChanged = true
        }
        let wasDirty = dirty
        dirty = true
        if reopening { closed = false }
        return (reopening, wasDirty)
    }
}
