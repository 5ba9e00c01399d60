import TallyCore
import TallyWire

/// Executing correction commands: the rater is the only writer of each frames
/// partition, so a correction becomes the next revision of the window as the rater
/// knows it, chained after the rater's own last frame on that partition, and is
/// committed (with the window's new revision and price, the command's id and the
/// corrections topic offset) in the next batch transaction. In group mode each task
/// executes the items of its own chain and answers for them alone, with a receipt naming
/// its partition (docs/SCALE.md, "Corrections in group mode").
extension StreamRater {
    /// The next offset of the corrections topic to read (0 when none was read).
    public func correctionsNextOffset() throws -> Int64 {
        if let pending = pendingMetaWrites.last(where: { $0.0 == StateLayout.Meta.correctionsNextOffset }) { return StateLayout.int64(pending.1) }
        return try store.read { txn in try txn.get(.meta, StateLayout.Meta.correctionsNextOffset).map(StateLayout.int64) ?? 0 }
    }

    /// Whether part `part` of replay `replayId` was executed (committed or in this batch).
    public func correctionExecuted(replayId: String, part: Int) throws -> Bool {
        let key = StateLayout.Meta.correctionDone(replayId, part)
        if pendingMetaWrites.contains(where: { $0.0 == key }) { return true }
        return try store.read { txn in try txn.get(.meta, key) != nil }
    }

    /// What reading one record of the corrections topic did.
    public enum CorrectionOutcome: Sendable {
        /// A receipt, a record read before, or a part executed before: nothing to do.
        case passedOver
        case executed(CorrectionReceipt)
        /// Not a command the rater can read: reported, passed over (it must not stop the rater).
        case malformed(String)
    }

    /// Reads one record of the corrections topic at `offset`. A command part not executed
    /// before is executed: each item becomes a correction revision, or is skipped with a
    /// reason (the window moved on since the replay, or is no longer in state).
    public func receiveCorrection(_ bytes: [UInt8], offset: Int64) throws -> CorrectionOutcome {
        guard offset >= (try correctionsNextOffset()) else { return .passedOver }
        var w = ByteWriter(); w.i64(offset + 1)
        pendingMetaWrites.append((StateLayout.Meta.correctionsNextOffset, w.bytes))
        let record: CorrectionsRecord
        do { record = try CorrectionsRecord(bytes: bytes, offset: offset) } catch { return .malformed("\(error)") }
        guard case let .command(command) = record else { return .passedOver }
        guard try !correctionExecuted(replayId: command.replayId, part: command.part) else { return .passedOver }
        let items = try itemsOfThisRater(command)
        guard !items.isEmpty else { return .passedOver }  // in group mode: every item is another task's
        let receipt = try execute(command, items: items, offset: offset)
        pendingMetaWrites.append((StateLayout.Meta.correctionDone(command.replayId, command.part), receipt.json.bytes))
        outbox.enqueue(OutboxEntry(kind: .correctionReceipt, topic: settings.correctionsTopic, partition: 0,
                                   key: Array(command.replayId.utf8), value: receipt.json.bytes))
        return .executed(receipt)
    }

    /// The items this rater executes: all of them, or in group mode (one task per frames
    /// partition) those of the task's own chain. An item names the partition the replay read
    /// its latest revision from; one from a command written before items named it belongs to
    /// the task that holds its window.
    private func itemsOfThisRater(_ command: CorrectionCommand) throws -> [CorrectionCommand.Item] {
        guard let owned = settings.ownedFramesPartition else { return command.items }
        return try command.items.filter { item in
            if let partition = item.partition { return partition == owned }
            return try windowSlot(frameId: item.frameId, body: item.body) != nil
        }
    }

    private func execute(_ command: CorrectionCommand, items: [CorrectionCommand.Item], offset: Int64) throws -> CorrectionReceipt {
        var corrected: [String: Int] = [:]
        var skipped: [CorrectionReceipt.Skipped] = []
        for item in items {
            func skip(_ why: String) { skipped.append(.init(frameId: item.frameId, reason: why)) }
            guard let price = Self.decimal(item.body["price"]) else { skip("the command gives no price"); continue }
            guard let slot = try windowSlot(frameId: item.frameId, body: item.body) else {
                skip("no such window in the rater's state (never closed here, or past its retention)")
                continue
            }
            var w = windows.cache[slot]
            guard Int(w.revision) == item.baseRevision else {
                // The window was revised (a late sample, another correction) after the replay
                // read the frames topic: its content would be stale. Replay again.
                skip("the replay compared with revision \(item.baseRevision) but the window is at revision \(w.revision)")
                continue
            }
            let scope = symbols.string(w.key.scope)
            let partition = frames.framesPartition(ofScope: w.key.scope)
            var body = item.body
            body["revision"] = .integer(Int64(w.revision) + 1)
            body["previous_price"] = .decimal(w.lastPrice)
            body["price_delta"] = .decimal(price - w.lastPrice)
            body["correction"] = command.correction
            body["output_partition"] = .integer(Int64(partition))
            let contentHash = SHA256.hex(CanonicalJSON.object(body).bytes)
            body["content_hash"] = .string(contentHash)
            body["previous_hash"] = .string(outbox.chainHeads[Int(partition)])
            outbox.chainHeads[Int(partition)] = contentHash
            outbox.enqueue(OutboxEntry(kind: .frame, topic: settings.framesTopic, partition: partition,
                                       key: Array(scope.utf8), value: CanonicalJSON.object(body).bytes))
            counters.framesEmitted += 1
            counters.framesRevised += 1
            w.revision += 1
            w.lastPrice = price
            w.lastTierUsage = nil
            windows.cache.store(w, in: slot)
            corrected[item.frameId] = Int(w.revision)
        }
        return CorrectionReceipt(replayId: command.replayId, part: command.part, parts: command.parts,
                                 commandOffset: offset, corrected: corrected, skipped: skipped,
                                 partition: settings.ownedFramesPartition)
    }

    /// The slot of the window whose frame id is `frameId`: held in memory, else loaded
    /// from the store (then it is closed, and freed again after the commit). Candidates
    /// share the window start and metric named in `body` (window-major keys make that a
    /// short range); the frame id decides among them.
    private func windowSlot(frameId: String, body: [String: CanonicalJSON]) throws -> Int? {
        guard case let .string(metricName)? = body["metric"], case let .object(window)? = body["window"],
              case let .string(startText)? = window["start"], let start = try? TimestampParser.parse(startText),
              let m = catalog.metrics.firstIndex(where: { $0.definition.key == metricName }) else { return nil }
        let metricSymbol = catalog.metrics[m].name
        let held = windows.cache.firstSlot { w in
            w.key.start == start && w.key.metric == metricSymbol && frameID(of: w) == frameId
        }
        if let held { return held }
        var found: WindowState?
        let from = WindowKey(start: start, metric: metricSymbol, scope: Symbol(raw: 0), resource: Symbol(raw: 0), group: Symbol(raw: 0))
        try store.read { txn in
            try txn.scan(.windows, from: from.encoded) { k, v in
                let key = try WindowKey(decoding: k)
                guard key.start == start, key.metric == metricSymbol else { return false }
                guard windows.cache.slot(of: key) == nil else { return true }
                let state = try WindowState(key: key, metric: m, decoding: v, topicIndex: windows.topic(named:))
                if frameID(of: state) == frameId { found = state; return false }
                return true
            }
        }
        guard let state = found else { return nil }
        // Read back only to look at or correct: written if corrected, dropped at the commit.
        return windows.cache.add(state, dirty: false)
    }

    /// The frame id a window's frames carry (as `close` computes it).
    private func frameID(of w: WindowState) -> String {
        let metric = catalog.metrics[w.metric]
        let definition = metric.definition
        let groupby = metric.extraGroupby.map { (metric.groupby[$0].name, frames.json(w.groupValues[$0]).text) }
        return Frame.id(metric: definition.key, scopeKind: definition.scope.rawValue, scope: symbols.string(w.key.scope),
                        resource: symbols.string(w.key.resource), groupby: groupby, windowStart: w.bounds.start)
    }

    static func decimal(_ value: CanonicalJSON?) -> ExactDecimal? {
        if case let .string(s)? = value { return ExactDecimal(s) } else { return nil }
    }
}
