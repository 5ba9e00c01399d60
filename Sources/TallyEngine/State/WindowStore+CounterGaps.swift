import TallyCore

/// Counters across an agent outage (issue 9 item 10).
///
/// A cumulative counter's window starts from the last point of the window before it. When
/// that window does not exist (no sample for one period or more), the baseline is the last
/// point of the latest earlier window of the series, if it lies within the metric's
/// retention of this window's start: the rise during the outage counts in the window of the
/// first sample after it, as Gnocchi's rate aggregation attributes it. A drop is still a
/// restart (the new value is the rise).
extension WindowStore {
    /// A window that exists: in memory, recently closed, or in the store.
    struct ExistingWindow { var lastPoint: SamplePoint? }

    func existingWindow(_ key: WindowKey, metric m: Int) -> ExistingWindow? {
        if let slot = cache.slot(of: key) { return ExistingWindow(lastPoint: cache[slot].accumulator.lastPoint) }
        if let point = closedLastPoints[key] { return ExistingWindow(lastPoint: point) }
        do {
            guard let window = try load(key, metric: m) else { return nil }
            return ExistingWindow(lastPoint: window.accumulator.lastPoint)
        } catch { failed(error); return nil }
    }

    /// The baseline of window `key` when the window just before it is missing.
    func pointAcrossGap(before key: WindowKey, definition: MetricDefinition, metric m: Int) -> SamplePoint? {
        let earliest = key.start - definition.retention
        let mark: CounterMarks.Mark?
        do { mark = try counterMarks.mark(of: key, store: store) } catch { failed(error); return nil }
        guard let mark else { return nil }  // the series never closed a window: a new counter
        if mark.windowStart < key.start {
            // Windows close in order, so the latest closed window is the latest before this one.
            return mark.point.time >= earliest ? mark.point : nil
        }
        // This window closes again after later ones (late data): walk back over the windows
        // that could hold the baseline. Rare, and bounded by retention ÷ period lookups.
        var previous = key
        previous.start = definition.period.windowStart(containing: key.start - TimeSpan(micros: 1))
        while true {
            previous.start = definition.period.windowStart(containing: previous.start - TimeSpan(micros: 1))
            guard definition.period.windowEnd(startingAt: previous.start) > earliest else { return nil }
            if let found = existingWindow(previous, metric: m) {
                guard let point = found.lastPoint, point.time >= earliest else { return nil }
                return point
            }
        }
    }

    /// Window `key`'s last point changed after it closed: the next window of the series,
    /// which starts from it, must be recomputed. For a counter that is the next window that
    /// exists, across a gap, up to the series' latest closed window and within retention.
    /// `repricing` and `clock`: see `reopen`.
    func reopenNextWindow(after key: WindowKey, bounds: WindowBounds, lastPoint: SamplePoint?,
                          definition: MetricDefinition, metric m: Int, repricing: Bool, at clock: EventTime?) {
        var next = key
        next.start = bounds.end
        if reopen(next, metric: m, repricing: repricing, at: clock) { return }
        guard definition.aggregation == .increase, let lastPoint else { return }
        let mark: CounterMarks.Mark?
        do { mark = try counterMarks.mark(of: key, store: store) } catch { failed(error); return }
        guard let latest = mark?.windowStart, latest > key.start else { return }
        while true {
            next.start = definition.period.windowEnd(startingAt: next.start)
            guard next.start <= latest, next.start - definition.retention <= lastPoint.time else { return }
            if reopen(next, metric: m, repricing: repricing, at: clock) { return }
        }
    }
}
