import TallyCore

/// Turns a closing window into its frame: the description and `RatingInput` it is priced
/// from, the pricing call, then the frame itself — its partition, `FrameFields` over the
/// window's symbols and slots, sealed in one reused `FrameBuffer` after its partition's
/// chain head — handed to a frame sink (a replay, `tally rate`) or to the outbox.
///
/// What closes when, and what a window's revision and baselines are, stay the task's
/// (`StreamRater+Closing.swift`); this type only writes what it is given. A final class
/// the task holds directly: one call per closed window, no protocol dispatch of its own.
final class FrameAssembler {
    let settings: EngineSettings
    let symbols: SymbolTable
    let pricer: WindowPricer
    /// Input topic names by index (lineage entries name their topic by index).
    let topicNames: [String]
    /// Every closed frame is sealed in this one buffer (TallyCore's `FrameBuffer`).
    private var frameBuffer = FrameBuffer()
    /// The last frame's fields, kept for the next window of the same metric (`keptMetric`):
    /// what is the metric's or the configuration's (names, unit, layouts, currency, engine
    /// version, topics) is set once, not copied in and released again per window (building
    /// and dropping `FrameFields` whole was ~3% of `tally rate`'s time: `perf`, 7 Dec 2026).
    /// What is the window's own is emptied once the frame is sealed, so the window's arrays
    /// and its explanation's trace are held by nothing else (their storage is reused when
    /// uniquely referenced: `WindowCache.addNew`, the rater's spare trace).
    private var keptFields: FrameFields?
    private var keptMetric: MetricCatalog.Compiled?
    /// The closing window's description for rating, refilled for every window.
    private var description = RatingDescription()
    private var scopePartitions = ScopePartitions()
    /// See `StreamRater.frameSink`.
    var frameSink: ((Frame, [UInt8]) -> Void)?
    /// See `StreamRater.frameRecordSink`.
    var frameRecordSink: (([UInt8]) -> Void)?

    init(settings: EngineSettings, symbols: SymbolTable, pricer: WindowPricer, topicNames: [String]) {
        self.settings = settings
        self.symbols = symbols
        self.pricer = pricer
        self.topicNames = topicNames
    }

    /// Prices window `w` at `quantity`. `usage`: the tier ledger, for a tier-priced service.
    /// Returns the result and the scope's text (the frame's key, if it is emitted).
    func price(_ w: WindowState, metric: MetricCatalog.Compiled, quantity: ExactDecimal,
               usage: TierUsageSource?) -> (result: RatingResult, scope: String) {
        let definition = metric.definition
        let scope = symbols.string(w.key.scope)
        let resource = symbols.string(w.key.resource)
        let user = w.user.isNone ? nil : symbols.string(w.user)
        // The description: metadata overlaid by the groupby values (groupby wins), refilled
        // in one reused description from the symbols' bytes.
        description.removeAll()
        for (i, field) in metric.metadata.enumerated() where w.metadata[i].kind != .absent {
            describe(field.name, w.metadata[i])
        }
        for (i, field) in metric.groupby.enumerated() where w.groupValues[i].kind != .absent {
            describe(field.name, w.groupValues[i])
        }
        let input = RatingInput(service: definition.serviceName, scope: scope, user: user, resource: resource,
                                quantity: quantity, unit: definition.unit, windowStart: w.bounds.start,
                                windowEnd: w.bounds.end, description: description)
        return (pricer.price(input, metric: definition, usage: usage), scope)
    }

    /// Writes the frame of `w`'s next revision (`w.revision + 1`, previous price `w.lastPrice`)
    /// on frames partition `partition` (`framesPartition(ofScope:)`), chained after
    /// `previousHash`, and hands it to the frame sink if there is one. Returns its content
    /// hash (the partition's new chain head) and, without a sink, the outbox entry to enqueue.
    /// `scope`: the scope's text, from `price`.
    func emit(_ w: WindowState, metric: MetricCatalog.Compiled, quantity: ExactDecimal, result: RatingResult,
              status: Frame.Status, scope: String, partition: Int32,
              previousHash: String) -> (contentHash: String, entry: OutboxEntry?) {
        let book = pricer.ruleBookIdentity(forWindowStarting: w.bounds.start)
        // The frame is written straight from the window's state (FrameFields): no `Frame`
        // value unless a frame sink (a replay) asks for one.
        var fields: FrameFields
        if keptMetric === metric, let kept = keptFields.take() {
            fields = kept
        } else {
            let definition = metric.definition
            fields = FrameFields(
                revision: 0, metric: definition.key, service: definition.serviceName,
                scopeKind: definition.scope.rawValue, scope: .none, project: .none, user: .none, resource: .none,
                groupbyLayout: metric.groupbyLayout, groupValues: [], metadataLayout: metric.metadataLayout,
                metadata: [], windowStart: w.bounds.start, windowEnd: w.bounds.end, quantity: .zero,
                unit: definition.unit, price: .zero, previousPrice: .zero, currency: settings.currency, status: .rated,
                explanation: Explanation(), ruleBookVersion: nil, ruleBookHash: nil, lineage: [], topics: topicNames,
                sampleCount: 0, sampleDigest: w.digest, engineVersion: settings.engineVersion, outputPartition: 0)
            keptMetric = metric
        }
        fields.setWindow(w, quantity: quantity, result: result, status: status, book: book, partition: partition)
        let (bytes, contentHash) = frameBuffer.seal(fields, symbols: symbols, previousHash: previousHash)
        var entry: OutboxEntry?
        if let frameSink {
            var frame = frameValue(fields, metric: metric, window: w)
            frame.previousHash = previousHash
            frame.contentHash = contentHash
            frameSink(frame, bytes)
        } else if let frameRecordSink {
            frameRecordSink(bytes)
        } else {
            entry = OutboxEntry(kind: .frame, topic: settings.framesTopic, partition: partition,
                                key: Array(scope.utf8), value: bytes)
        }
        fields.releaseWindow()
        keptFields = consume fields
        return (contentHash, entry)
    }

    /// The frames partition of a frame of `scope` (hashed once per scope: `ScopePartitions`).
    func framesPartition(ofScope scope: Symbol) -> Int32 {
        if let owned = settings.ownedFramesPartition { return owned }
        return scopePartitions.partition(of: scope, count: settings.framesPartitions, text: symbols.string)
    }
    /// Sets `name` in the description being built: plain ASCII straight from the symbol
    /// table, anything else through `String(decoding:)` as before (invalid UTF-8 becomes
    /// U+FFFD, which the rules then see).
    private func describe(_ name: String, _ value: MetaValue) {
        var name = name
        let copied = symbols.withBytes(value.text) { text -> Bool in
            for b in text where b >= 0x80 { return false }
            name.withUTF8 { description.set(name: UnsafeRawBufferPointer($0), kind: value.kind, value: text) }
            return true
        }
        if !copied { description.set(name, kind: value.kind, text: symbols.string(value.text)) }
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

private extension FrameFields {
    /// Sets what is `w`'s own (its next revision, keys, values, quantity, price and
    /// lineage); the metric's and configuration's members stay as they are.
    mutating func setWindow(_ w: WindowState, quantity: ExactDecimal, result: RatingResult, status: Frame.Status,
                            book: (version: Int64?, hash: String?), partition: Int32) {
        revision = Int(w.revision) + 1
        scope = w.key.scope; project = w.project; user = w.user; resource = w.key.resource
        groupValues = w.groupValues; metadata = w.metadata
        windowStart = w.bounds.start; windowEnd = w.bounds.end
        self.quantity = quantity; price = result.price; previousPrice = w.lastPrice
        self.status = status; explanation = result.explanation
        ruleBookVersion = book.version; ruleBookHash = book.hash
        lineage = w.lineage; sampleCount = w.accumulator.sampleCount; sampleDigest = w.digest
        outputPartition = partition
    }

    /// Lets go of the window's arrays and its explanation (the rest holds no storage that
    /// anything reuses).
    mutating func releaseWindow() {
        groupValues = []; metadata = []; lineage = []
        explanation = Explanation()
    }
}
