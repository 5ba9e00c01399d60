import TallyCore
import TallyWire

/// The streaming stage for one set of input partitions: folds decoded samples
/// into windows, closes them by watermark, prices them and writes frames and
/// dead letters to an outbox, all committed in one state transaction per batch.
///
/// Single-threaded by design (performance-notes.md): the run loop calls `fold`
/// for each record of a batch, then `commitBatch`, then sends what that returned,
/// then reports acknowledgements with `acknowledge`; `tally run`'s decode thread decodes a
/// batch ahead with an `AheadDecoder` and the rater takes it with `adopt`. Exactly-once: nothing a
/// batch did exists outside memory until `commitBatch` commits it, and nothing
/// is sent before that commit.
public final class StreamRater {
    struct PartitionID: Hashable, Comparable {
        var topic: UInt16
        var partition: Int32
        static func < (a: PartitionID, b: PartitionID) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
    }

    enum SampleOutcome { case folded, duplicate, rejected(DeadLetterReason, String) }

    let settings: EngineSettings
    let catalog: MetricCatalog
    let pricer: WindowPricer
    let store: StateStore
    public let symbols: SymbolTable
    let decoders: [SampleDecoder]
    let topicIndex: [String: UInt16]
    /// Input topic names by index (lineage entries name their topic by index).
    let topicNames: [String]
    /// The same names as bytes, as window records store them.
    let topicNameBytes: [[UInt8]]

    /// The windows, in memory and in the store, their close queue and the baselines closing
    /// reads (State/WindowStore.swift).
    let windows: WindowStore

    /// Partition clocks and the closing clock (PartitionGroup.swift).
    var partitions = PartitionGroup()
    /// Until the closing clock exists: each partition's records seen by `preview`, in
    /// offset order, with the latest event time of each (see StreamRater+PreClock.swift).
    var previewed: [PartitionID: [(offset: Int64, latest: EventTime?)]] = [:]
    /// The records `preview` decoded, for `fold` to take instead of decoding them again.
    var predecoded = PredecodedRecords()
    /// The decode thread's symbols in this rater's table (`adopt`, SymbolRemap.swift).
    var remap = SymbolRemap()
    var dedupe = DedupeIndex()
    /// Copies the live rater refused as conflicting duplicates (a replay's only: `honour`).
    var refused = Set<RefusedCopyKey>()
    let tiers: TierLedger
    var offsets: [PartitionID: Int64] = [:]
    public internal(set) var counters = Counters()
    /// Frames, dead letters, checkpoints and receipts until acknowledged, and the frames
    /// chains' heads and counts (State/Outbox.swift).
    var outbox: Outbox
    var persistedSymbols = 0
    var lastMaintenance: EventTime?
    var unknownMeterNames: [Symbol: String] = [:]
    /// Meta entries written by the next commit (executed corrections, their topic offset).
    var pendingMetaWrites: [([UInt8], [UInt8])] = []
    /// Nanoseconds spent closing windows and writing state, for `tally run`'s timing line.
    public internal(set) var phaseNanos: [String: UInt64] = [:]
    /// The same phases in this thread's CPU time (`tally-bench fold`: wall time on the shared
    /// machine mostly measures the scheduler).
    public internal(set) var phaseCPUNanos: [String: UInt64] = [:]
    /// Prices a closing window and writes its frame (Stream/FrameAssembler.swift).
    let frames: FrameAssembler
    /// A replay's scratch rater takes each frame it closes here, as a value with its sealed
    /// bytes, instead of through the outbox: nothing is sent, and the replay diffs frame by
    /// frame without parsing its own bytes back. nil (the live rater): frames go to the outbox.
    public var frameSink: ((Frame, [UInt8]) -> Void)? {
        get { frames.frameSink }
        set { frames.frameSink = newValue }
    }
    /// `tally rate`'s rater takes each frame's sealed bytes here instead of through the
    /// outbox, and no `Frame` value is built for it (`frameSink` builds one per frame).
    public var frameRecordSink: (([UInt8]) -> Void)? {
        get { frames.frameRecordSink }
        set { frames.frameRecordSink = newValue }
    }

    public init(settings: EngineSettings, metrics: MetricsConfig, pricer: WindowPricer, store: StateStore) throws {
        self.settings = settings
        self.pricer = pricer
        self.store = store
        let symbols = SymbolTable()
        self.symbols = symbols
        tiers = TierLedger(symbols: symbols)
        let catalog = try MetricCatalog(config: metrics, symbols: symbols)
        self.catalog = catalog
        decoders = settings.inputs.map {
            SampleDecoder(format: $0.format, symbols: symbols, plan: catalog.plan, options: $0.decoding)
        }
        var topics: [String: UInt16] = [:]
        for (i, input) in settings.inputs.enumerated() { topics[input.topic] = UInt16(i) }
        topicIndex = topics
        windows = WindowStore(store: store, catalog: catalog, topicIndex: topics)
        topicNames = settings.inputs.map(\.topic)
        topicNameBytes = topicNames.map { Array($0.utf8) }
        frames = FrameAssembler(settings: settings, symbols: symbols, pricer: pricer, topicNames: topicNames)
        outbox = Outbox(framesPartitions: Int(settings.framesPartitions))
    }

    /// Windows held in memory (open, or closed in this batch).
    public var openWindows: Int { windows.cache.count }
    /// Sample ids and content keys held in memory for dedupe (until their batch expires).
    public var dedupeKeys: Int { dedupe.count }
    /// Messages written to the outbox and not yet acknowledged.
    public var pendingMessages: Int { outbox.unacknowledged }

    /// Declares the partitions the rater reads: until each has delivered a sample or
    /// been read to its end, the closing clock does not move.
    public func assign(_ partitions: [(topic: String, partition: Int32)]) {
        for p in partitions {
            guard let topic = topicIndex[p.topic] else { continue }
            let pid = PartitionID(topic: topic, partition: p.partition)
            self.partitions.assign(pid)
        }
    }

    /// The partition was read to its current end (it may become idle); the next record
    /// from it clears this.
    public func reachedEnd(topic: String, partition: Int32) {
        guard let t = topicIndex[topic] else { return }
        partitions.reachedEnd(PartitionID(topic: t, partition: partition))
    }

    // MARK: Folding

    /// Folds one record. The record's bytes are only read during the call.
    ///
    /// Each read or write of one of the rater's stored properties is a dynamic exclusivity check
    /// (~90 instructions with its end: the rater is a class), so what the record's samples are
    /// checked against is read from them once per record into a `RecordFold`, which also
    /// collects what the samples came to; the dedupe index is lent for the whole record; the
    /// partition's offset, clock and counts are each moved with one access.
    public func fold(_ record: InputRecord, wallNow: EventTime) {
        guard let topic = input(ofTopic: record.topic) else { return }
        let pid = PartitionID(topic: topic, partition: record.partition)
        guard StreamRater.advance(&offsets, pid, past: record.offset) else { return }  // already folded before a restart
        var fold = RecordFold(partition: pid, offset: record.offset, wallNow: wallNow, closingClock: partitions.closingClock,
                              checksRefusals: !refused.isEmpty, unknownMeters: settings.inputs[Int(topic)].unknownMeters)
        let recordError = foldSamples(of: record, topic: topic, into: &fold, dedupe: &dedupe)
        // The partition's clock moves once per record, to its latest folded sample: nothing
        // reads the partition clocks while a record folds (lateness reads the closing clock,
        // which moves at the commit), and a clock is a maximum, so the result is the same as
        // a move per sample, at one probe of the clocks' table instead of ten.
        partitions.noteRecord(pid, latestFolded: fold.latestFolded, wallNow: wallNow)
        fold.count(failed: recordError != nil, into: &counters)
        if recordError != nil || !fold.rejections.isEmpty {
            deadLetter(record, error: recordError, rejections: fold.rejections)
        }
    }

    /// The index of the input that reads `topic`, as `topicIndex` gives it. A rater reads one
    /// or two topics: comparing the name with theirs (the same string storage, mostly, so one
    /// compare) costs less than hashing it with SipHash for every record, which `tally rate`
    /// (one sample a record) paid per sample.
    @inline(__always)
    func input(ofTopic topic: String) -> UInt16? {
        guard topicNames.count <= 4 else { return topicIndex[topic] }
        // From the last: where two inputs name one topic, `topicIndex` holds the last.
        for i in topicNames.indices.reversed() where topicNames[i] == topic { return UInt16(i) }
        return nil
    }

    /// Moves `pid`'s next offset past `offset` unless the record at `offset` was folded before
    /// (a restart reads some again); false then. One probe of the table for both.
    static func advance(_ offsets: inout [PartitionID: Int64], _ pid: PartitionID, past offset: Int64) -> Bool {
        func move(_ next: inout Int64) -> Bool {
            guard offset >= next else { return false }
            next = offset + 1
            return true
        }
        // The default subscript changes the entry in place (a new partition's starts below any offset).
        return move(&offsets[pid, default: .min])
    }

    /// Folds the samples of `record`, taken from what was decoded ahead or decoded now, into
    /// `fold`; returns the record's decoding error, if it has one.
    private func foldSamples(of record: InputRecord, topic: UInt16, into fold: inout RecordFold,
                             dedupe: inout DedupeIndex) -> RecordDecodeError? {
        if let decoded = predecoded.take(partition: fold.partition, offset: record.offset) {
            // Decoded already, by the pre-clock preview or the decode thread (its symbols first).
            if decoded.symbols > 0 {
                remap.catchUp(to: decoded.symbols, in: symbols)
                predecoded.remap(decoded, remap)
            }
            if let error = decoded.error { return error }
            predecoded.replay(decoded, emit: { foldDecoded($0, into: &fold, dedupe: &dedupe) },
                              reject: { fold.rejections.append($0) })
            return nil
        }
        do {
            try decode(record, topic: Int(topic), emit: { foldDecoded($0, into: &fold, dedupe: &dedupe) },
                       reject: { fold.rejections.append($0) })
            return nil
        } catch {
            return error
        }
    }

    /// One sample of the record `fold` folds: counted as of an unknown meter, folded, counted
    /// as a duplicate, or kept as a rejection.
    private func foldDecoded(_ sample: DecodedSample, into fold: inout RecordFold, dedupe: inout DedupeIndex) {
        let m = catalog.index(of: sample.metric)
        if m == nil, fold.unknownMeters != .deadLetter {
            // Decided before foldSample, which would build a dead letter's detail text.
            fold.unknown += 1
            if fold.unknownMeters == .count { countUnknownMeter(sample.metric) }
            return
        }
        switch foldSample(sample, metric: m, in: &fold, dedupe: &dedupe) {
        case .folded:
            fold.folded += 1
            if fold.latestFolded.map({ $0 < sample.timestamp }) ?? true { fold.latestFolded = sample.timestamp }
        case .duplicate: fold.duplicates += 1
        case .rejected(let reason, let detail):
            // The decoder emits good samples without their payload index; name the sample instead.
            let which = "sample \(symbols.string(sample.resource))@\(Timestamps.iso8601(sample.timestamp))"
            fold.rejections.append(SampleRejection(reason: reason, sampleIndex: -1, detail: which + ": " + detail))
        }
    }

    /// Folds one sample of metric `m` (nil: not configured) of the record `fold` folds.
    /// `dedupe` is the rater's `dedupe`, lent by the caller for the whole record (the class's
    /// stored property cost a dynamic exclusivity check at each use).
    func foldSample(_ sample: DecodedSample, metric m: Int?, in fold: inout RecordFold,
                    dedupe: inout DedupeIndex) -> SampleOutcome {
        guard let m else {
            return .rejected(.unknownMetric, "metric '\(symbols.string(sample.metric))' is not in the metrics configuration")
        }
        let pid = fold.partition, offset = fold.offset
        // Its fields are read through the metric (a class): bound to a local, the definition
        // was copied, a retain and a release of each of its strings per sample.
        let metric = catalog.metrics[m]
        // The dedupe tables outgrow the caches: their slots for this sample are asked for now,
        // so the misses overlap the checks and the content key below instead of stalling the probes.
        dedupe.prefetch(id: sample.key)
        if PartitionClock.isFutureTimestamp(sample.timestamp, wallNow: fold.wallNow, maxSkew: catalog.maxFutureSkew) {
            return .rejected(.futureTimestamp, "timestamp \(Timestamps.iso8601(sample.timestamp)) is more than \(catalog.maxFutureSkew) ahead of the clock")
        }
        let scope = metric.definition.scope == .userId ? sample.user : sample.project
        if scope.isNone || symbols.withBytes(scope, { $0.allSatisfy(StreamRater.isBlank) }) {
            let what = scope.isNone ? "missing or null" : symbols.withBytes(scope, { $0.isEmpty }) ? "empty" : "blank (only white space)"
            return .rejected(.noScope, "\(metric.definition.scope.rawValue) is \(what), and metric '\(metric.definition.key)' is rated per \(metric.definition.scope.rawValue)")
        }
        // A duplicate is recognised before anything else, so a copy of a sample folded
        // long ago counts as a duplicate rather than as too late. A sample re-published
        // with a new id but the same content (Ceilometer does this when a notification is
        // delivered twice) is a duplicate too.
        //
        // The same id with other content is not a duplicate but a conflict: the copy read
        // first stands (within a partition, offset order: the same live, in a replay and in
        // `tally rate`), and this one is refused, naming the first (issue 14 item 2).
        let fingerprint = SampleDigest.contentKey(of: sample, in: symbols)
        let shortFingerprint = DedupeIndex.FirstCopy.fingerprint(fingerprint)
        dedupe.prefetch(content: fingerprint)
        if fold.checksRefusals, wasRefused(sample.key, partition: pid, offset: offset) {
            return .rejected(.conflictingDuplicate, "sample id \(SampleDigest.uuidText(sample.key)) was refused by the rater as a conflicting duplicate")
        }
        // Each key is probed once: a sample that folds is inserted where its lookup stopped.
        let idProbe = dedupe.probe(id: sample.key)
        if let first = idProbe.first {
            guard first.fingerprint != 0, first.fingerprint != shortFingerprint else { return .duplicate }
            return .rejected(.conflictingDuplicate, conflictDetail(sample, first: first))
        }
        let contentProbe = dedupe.probe(content: fingerprint)
        if contentProbe.seen { return .duplicate }
        let bounds = metric.definition.period.window(containing: sample.timestamp)
        if let earliest = catalog.earliestEventTime, sample.timestamp < earliest {
            counters.samplesTooLate += 1
            return .rejected(.tooLate, "timestamp \(Timestamps.iso8601(sample.timestamp)) is before earliest_event_time \(Timestamps.iso8601(earliest))")
        }
        let closingClock = fold.closingClock
        let lateness = PartitionGroup.lateness(windowEnd: bounds.end, grace: metric.definition.grace,
                                               retention: metric.definition.retention, closingClock: closingClock)
        if lateness == .tooLate {
            counters.samplesTooLate += 1
            return .rejected(.tooLate, "window \(Timestamps.iso8601(bounds.start))–\(Timestamps.iso8601(bounds.end)) of '\(metric.definition.key)' is past its retention of \(metric.definition.retention)")
        }
        let late = lateness == .late
        if closingClock == nil, let horizon = fold.preClockHorizon(self), bounds.end + metric.definition.grace <= horizon,
                  horizon - (bounds.end + metric.definition.grace) > metric.definition.retention {
            // No closing clock yet (a new state's first batches): its record's and the next
            // record's latest samples stand in for it, so a 1970 sample is not billed just
            // because it came first (StreamRater+PreClock.swift).
            counters.samplesTooLate += 1
            return .rejected(.tooLate, "window \(Timestamps.iso8601(bounds.start))–\(Timestamps.iso8601(bounds.end)) of '\(metric.definition.key)' is past its retention of \(metric.definition.retention), counted from \(Timestamps.iso8601(horizon)), the latest sample of its record and the next one on its partition (the event clock is not set yet)")
        }
        let here = DedupeIndex.FirstCopy(fingerprint: shortFingerprint, topic: pid.topic, partition: pid.partition, offset: offset)
        dedupe.insert(sample.key, at: sample.timestamp, first: here, probe: idProbe)
        dedupe.insert(content: fingerprint, at: sample.timestamp, probe: contentProbe)

        let group = groupSymbol(metric, sample)
        let key = WindowKey(start: bounds.start, metric: metric.name, scope: scope, resource: sample.resource, group: group)
        let windows = self.windows
        let reopened: Bool
        switch windows.cache.foldIfHeld(sample, key: key, content: fingerprint, metric: metric, topic: pid.topic,
                                        partition: pid.partition, offset: offset, late: late) {
        case .folded(let held):
            reopened = held
        case .missing(let probe):
            // Not in memory: read back (a late sample's) or new, then folded.
            let slot = windows.slot(for: key, metric: m, bounds: bounds, sample: sample, late: late, missing: probe)
            reopened = windows.cache.fold(sample, into: slot, content: fingerprint, metric: metric, topic: pid.topic,
                                          partition: pid.partition, offset: offset, late: late)
        }
        if reopened {
            // A late sample reopens the window: it closes again at the end of this batch.
            counters.samplesLate += 1
            windows.closeQueue.push(bounds.end + metric.definition.grace, key)
        } else if late {
            counters.samplesLate += 1
        }
        return .folded
    }

    /// Why a sample is a conflicting duplicate: its id, and where the copy that stands was read.
    func conflictDetail(_ sample: DecodedSample, first: DedupeIndex.FirstCopy) -> String {
        let topic = Int(first.topic) < settings.inputs.count ? settings.inputs[Int(first.topic)].topic : "topic #\(first.topic)"
        return "sample id \(SampleDigest.uuidText(sample.key)) was first read with other content at "
            + "topic \(topic) partition \(first.partition) offset \(first.offset); that copy stands"
    }

    /// The interned tuple of the metric's extra groupby values (`.none` if it has none): each
    /// value's kind and its symbol, big-endian, 5 bytes a value. Built on the stack: a scratch
    /// array of the rater's cost an exclusivity check and a uniqueness check per sample.
    func groupSymbol(_ metric: MetricCatalog.Compiled, _ sample: DecodedSample) -> Symbol {
        let fields = metric.extraGroupby
        guard !fields.isEmpty else { return .none }
        return withUnsafeTemporaryAllocation(byteCount: 5 * fields.count, alignment: 1) { tuple in
            var at = 0
            for i in fields {
                let v = MetricCatalog.value(of: metric.groupby[i], in: sample)
                tuple[at] = v.kind.rawValue
                tuple.storeBytes(of: v.text.raw.bigEndian, toByteOffset: at + 1, as: UInt32.self)
                at += 5
            }
            return symbols.intern(UnsafeRawBufferPointer(tuple))
        }
    }
}

extension WindowState {
    /// Folds one sample: the accumulator, the description if this sample is the
    /// latest, the lineage and the digest. Ties between samples of the same time (the
    /// accumulator's points, the description) and the digest go by the sample's content
    /// key, not its id, so that nothing in the frame but its offset ranges depends on
    /// which copy of a re-delivered sample (same content, new id) was folded.
    mutating func fold(_ sample: DecodedSample, content: SampleKey, metric: MetricCatalog.Compiled, topic: UInt16, partition: Int32, offset: Int64) {
        accumulator.fold(sample.volume, at: sample.timestamp, key: content)
        if describedAt < sample.timestamp || (describedAt == sample.timestamp && describedBy < content) {
            describedAt = sample.timestamp
            describedBy = content
            project = sample.project
            user = sample.user
            for i in metric.metadata.indices { metadata[i] = MetricCatalog.value(of: metric.metadata[i], in: sample) }
        }
        note(topic: topic, partition: partition, offset: offset)
        digest.add(content)
    }
}
