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
            for (_, key) in due {
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
        let scope = symbols.string(w.key.scope)
        let resource = symbols.string(w.key.resource)
        let user = w.user.isNone ? nil : symbols.string(w.user)

        // The description: metadata overlaid by the groupby values (groupby wins), refilled
        // in one reused description from the symbols' bytes.
        descriptionScratch.removeAll()
        for (i, field) in metric.metadata.enumerated() where w.metadata[i].kind != .absent {
            describe(field.name, w.metadata[i])
        }
        for (i, field) in metric.groupby.enumerated() where w.groupValues[i].kind != .absent {
            describe(field.name, w.groupValues[i])
        }
        let input = RatingInput(service: definition.serviceName, scope: scope, user: user, resource: resource,
                                quantity: quantity, unit: definition.unit, windowStart: w.bounds.start,
                                windowEnd: w.bounds.end, description: descriptionScratch)
        if cumulative { tiers.current = w.key }
        let result = pricer.price(input, metric: definition, usage: cumulative ? tiers : nil)
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
        let book = pricer.ruleBookIdentity(forWindowStarting: w.bounds.start)
        let partition = framesPartition(ofScope: w.key.scope)
        // The frame is written straight from the window's state (FrameFields): no `Frame`
        // value unless a frame sink (a replay) asks for one.
        let fields = FrameFields(
            revision: Int(w.revision) + 1, metric: definition.key, service: definition.serviceName,
            scopeKind: definition.scope.rawValue, scope: w.key.scope, project: w.project, user: w.user,
            resource: w.key.resource, groupbyLayout: metric.groupbyLayout, groupValues: w.groupValues,
            metadataLayout: metric.metadataLayout, metadata: w.metadata, windowStart: w.bounds.start,
            windowEnd: w.bounds.end, quantity: quantity, unit: definition.unit, price: result.price,
            previousPrice: w.lastPrice, currency: settings.currency, status: status, explanation: result.explanation,
            ruleBookVersion: book.version, ruleBookHash: book.hash, lineage: w.lineage, topics: topicNames,
            sampleCount: w.accumulator.sampleCount, sampleDigest: w.digest, engineVersion: settings.engineVersion,
            outputPartition: partition)
        let previousHash = outbox.chainHeads[Int(partition)]
        let (bytes, contentHash) = frameBuffer.seal(fields, symbols: symbols, previousHash: previousHash)
        outbox.chainHeads[Int(partition)] = contentHash
        if let frameSink {
            var frame = frameValue(fields, metric: metric, window: w)
            frame.previousHash = previousHash
            frame.contentHash = contentHash
            frameSink(frame, bytes)
        } else if let frameRecordSink {
            frameRecordSink(bytes)
        } else {
            outbox.enqueue(OutboxEntry(kind: .frame, topic: settings.framesTopic, partition: partition,
                                       key: Array(scope.utf8), value: bytes))
        }
        counters.framesEmitted += 1
        if w.revision > 0 { counters.framesRevised += 1 }
        w.revision += 1
        w.lastPrice = result.price
        w.lastTierUsage = cumulative ? TierUsageMark(result.explanation) : nil
        w.closed = true
        windows.cache.store(w, in: slot)
    }

    /// Sets `name` in the description being built: plain ASCII straight from the symbol
    /// table, anything else through `String(decoding:)` as before (invalid UTF-8 becomes
    /// U+FFFD, which the rules then see).
    private func describe(_ name: String, _ value: MetaValue) {
        var name = name
        let copied = symbols.withBytes(value.text) { text -> Bool in
            for b in text where b >= 0x80 { return false }
            name.withUTF8 { descriptionScratch.set(name: UnsafeRawBufferPointer($0), kind: value.kind, value: text) }
            return true
        }
        if !copied { descriptionScratch.set(name, kind: value.kind, text: symbols.string(value.text)) }
    }

    /// The `Frame` value of `fields`, for a frame sink (a replay diffs frame values). Built
    /// the way the engine built every frame before it wrote them from `FrameFields`; the
    /// frame-sink tests hold its sealed bytes equal to the fields' bytes.
    func frameValue(_ f: FrameFields, metric: MetricCatalog.Compiled, window w: WindowState) -> Frame {
        let scope = symbols.string(f.scope), resource = symbols.string(f.resource)
        let groupby = metric.extraGroupby.map { (metric.groupby[$0].name, w.groupValues[$0]) }
        let frameID = Frame.id(metric: f.metric, scopeKind: f.scopeKind, scope: scope, resource: resource,
                               groupby: groupby.map { ($0.0, json($0.1).text) }, windowStart: f.windowStart)
        return Frame(
            frameId: frameID, revision: f.revision, metric: f.metric, service: f.service, scopeKind: f.scopeKind,
            scope: scope, projectId: f.project.isNone ? nil : symbols.string(f.project),
            userId: f.user.isNone ? nil : symbols.string(f.user), resourceId: resource,
            groupby: Dictionary(groupby.map { ($0.0, json($0.1)) }, uniquingKeysWith: { a, _ in a }),
            metadata: Dictionary(metric.metadata.indices.map { (metric.metadata[$0].name, json(w.metadata[$0])) },
                                 uniquingKeysWith: { a, _ in a }),
            windowStart: f.windowStart, windowEnd: f.windowEnd, quantity: f.quantity, unit: f.unit, price: f.price,
            previousPrice: f.previousPrice, currency: f.currency, status: f.status, explanation: f.explanation,
            ruleBookVersion: f.ruleBookVersion, ruleBookHash: f.ruleBookHash,
            lineage: f.lineage.map {
                Frame.LineageRange(topic: f.topics[Int($0.topic)], partition: $0.partition,
                                   firstOffset: $0.firstOffset, lastOffset: $0.lastOffset, samples: $0.samples)
            },
            sampleCount: f.sampleCount, sampleDigest: f.sampleDigest.hex, engineVersion: f.engineVersion,
            outputPartition: f.outputPartition)
    }

    /// A metadata or groupby value in a frame: strings as strings, booleans and
    /// null as themselves, numbers and nested JSON as their original text.
    func json(_ value: MetaValue) -> CanonicalJSON {
        switch value.kind {
        case .absent, .null: return .null
        case .bool: return .bool(symbols.string(value.text) == "true")
        default: return .string(symbols.string(value.text))
        }
    }
}
