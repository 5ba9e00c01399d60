import TallyCore
import TallyWire

extension StreamRater {
    /// Moves the closing clock (`PartitionGroup.advance`); at the end of a bounded input,
    /// to the latest closing time of the open windows.
    func advanceClock(wallNow: EventTime, endOfInput: Bool) {
        partitions.advance(wallNow: wallNow, idleTimeout: catalog.idleTimeout, endOfInput: endOfInput,
                           latestDue: windows.closeQueue.latestDue)
    }

    /// Closes every window the clock has passed, pricing it into a frame. Re-pricing
    /// the later windows of a tier cycle queues them at the clock, hence the loop.
    func closeDueWindows() {
        guard let clock = partitions.closingClock else { return }
        // Whether each metric's service is tier-priced, asked once per metric here rather
        // than twice per window (a `Set<String>` hashed each time, ~1% of `tally rate`):
        // the pricer's rules do not change while windows close.
        var tieredMetrics: [Bool]?
        while true {
            let due = windows.closeQueue.popDue(clock)
            if due.isEmpty { return }
            // Tier-priced windows close last, in content order (TierOrder); the others keep
            // the queue's order.
            var tiered: [WindowKey] = []
            let tieredMetric = tieredMetrics ?? catalog.metrics.map { pricer.usesCumulativeUsage(service: $0.definition.serviceName) }
            tieredMetrics = tieredMetric
            for (i, (_, key)) in due.enumerated() {
                // Hints only: the index entry two windows ahead and the next window's state
                // start loading while this one closes (WindowCache.prefetchIndexEntry).
                if i + 2 < due.count { windows.cache.prefetchIndexEntry(of: due[i + 2].key) }
                if i + 1 < due.count { windows.cache.prefetchWindow(of: due[i + 1].key) }
                // Read in place: binding the window would copy it (and retain its arrays).
                guard let slot = windows.cache.slot(of: key), windows.cache.isOpen(slot) else { continue }
                let cumulative = tieredMetric[windows.cache[slot].metric]
                if cumulative {
                    tiered.append(key)
                } else {
                    close(slot, cumulative: false)
                }
            }
            for key in tiered.count > 1 ? TierOrder.sorted(tiered, symbols) : tiered {
                guard let slot = windows.cache.slot(of: key), windows.cache.isOpen(slot) else { continue }
                close(slot, cumulative: true)
            }
        }
    }

    /// The later windows of `key`'s cycle series must be priced again: reopen them
    /// (from memory or the store) for closing in this batch.
    private func repriceLaterWindows(after key: WindowKey, metric m: Int) {
        for later in tiers.windows(after: key) { windows.reopen(later, metric: m, repricing: true, at: partitions.closingClock) }
    }

    /// `cumulative`: the window's service is tier-priced (`WindowPricer.usesCumulativeUsage`).
    private func close(_ slot: Int, cumulative: Bool) {
        var w = windows.cache.takeOut(slot)  // every path below stores it back
        let metric = catalog.metrics[w.metric]
        // Bound once: reading it through the metric at each use below copied it more often
        // (it is passed on to three functions; callgrind, 2.5 copies per window against 1).
        let definition = metric.definition
        // Counter increases and time-weighted averages start from the previous window's
        // last point. It is looked up when this window closes — the previous window has
        // closed by then — so the result does not depend on how partitions interleave.
        // Only a seeded aggregate needs a copy of the accumulator (a copy retains its arrays).
        let aggregate: ExactDecimal
        if definition.aggregation == .increase || definition.aggregation == .timeWeightedAverage,
           let previous = windows.previousPoint(of: w.key, definition: definition, metric: w.metric) {
            var accumulator = w.accumulator
            accumulator.seedPrevious(previous.value, at: previous.time)
            aggregate = accumulator.quantity
        } else {
            aggregate = w.accumulator.quantity
        }
        let quantity = definition.ratedQuantity(fromAggregate: aggregate)
        if cumulative { tiers.current = w.key }
        let (result, scope) = frames.price(w, metric: metric, quantity: quantity, usage: cumulative ? tiers : nil)
        // The ledger knows the quantity this window was last priced at; without a ledger
        // (no cumulative tier) a recomputed window is always revised.
        let quantityChanged = cumulative ? tiers.record(w.key, quantity: quantity) : true
        if cumulative, quantityChanged { repriceLaterWindows(after: w.key, metric: w.metric) }
        windows.noteClosed(w, definition: definition)
        if w.lastPointChanged {
            // A late sample moved this window's last point, which the next window starts from.
            // Its quantity is recomputed when it closes; with a tier ledger to compare
            // against, it is revised only if its quantity or price moved.
            w.lastPointChanged = false
            windows.reopenNextWindow(after: w.key, bounds: w.bounds, lastPoint: w.accumulator.lastPoint,
                                     definition: definition, metric: w.metric, repricing: cumulative,
                                     at: partitions.closingClock)
        }
        if w.repricing {
            w.repricing = false
            // Reopened because an earlier window changed (its cycle's usage or its baseline):
            // no revision if both its quantity and its price stand. The quantity matters on its
            // own: a free tier keeps the price at 0 while the quantity moves (issue 15).
            // The explanation counts too: an earlier window of the cycle that closed since moves
            // this one's prior usage without (inside one band) moving its price.
            if !quantityChanged, result.price == w.lastPrice, case .rated = result.status,
               w.lastTierUsage == TierUsageMark(result.explanation) {
                w.closed = true
                windows.cache.store(w, in: slot)
                return
            }
        }
        let status: Frame.Status
        switch result.status {
        case .rated: status = .rated
        case .failed(let reason):
            status = .ratingFailed(reason)
            counters.windowsRatingFailed += 1
        }
        // The frame goes after its partition's chain head, which it becomes.
        let partition = frames.framesPartition(ofScope: w.key.scope)
        let (contentHash, entry) = frames.emit(w, metric: metric, quantity: quantity, result: result, status: status,
                                               scope: scope, partition: partition,
                                               previousHash: outbox.chainHeads[Int(partition)])
        outbox.chainHeads[Int(partition)] = contentHash
        if let entry { outbox.enqueue(entry) }
        counters.framesEmitted += 1
        if w.revision > 0 { counters.framesRevised += 1 }
        w.revision += 1
        w.lastPrice = result.price
        w.lastTierUsage = cumulative ? TierUsageMark(result.explanation) : nil
        w.closed = true
        windows.cache.store(w, in: slot)
    }
}
