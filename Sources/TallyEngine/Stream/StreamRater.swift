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
    var groupScratch: [UInt8] = []
    var rejections: [SampleRejection] = []
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
    public func fold(_ record: InputRecord, wallNow: EventTime) {
        guard let topic = topicIndex[record.topic] else { return }
        let pid = PartitionID(topic: topic, partition: record.partition)
        if let next = offsets[pid], record.offset < next { return }  // already folded before a restart
        partitions.notAtEnd(pid)
        offsets[pid] = record.offset + 1
        counters.recordsIn += 1
        var folded = 0, duplicates = 0, unknown = 0
        let unknownMeters = settings.inputs[Int(topic)].unknownMeters
        rejections.removeAll(keepingCapacity: true)
        var recordError: RecordDecodeError?
        // The partition's clock moves once per record, to its latest folded sample: nothing
        // reads the partition clocks while a record folds (lateness reads the closing clock,
        // which moves at the commit), and a clock is a maximum, so the result is the same as
        // a move per sample, at one probe of the clocks' table instead of ten.
        var latestFolded: EventTime?
        func emit(_ sample: DecodedSample) {
            if unknownMeters != .deadLetter, catalog.index(of: sample.metric) == nil {
                // Decided before foldSample, which would build a dead letter's detail text.
                unknown += 1
                if unknownMeters == .count { countUnknownMeter(sample.metric) }
                return
            }
            // The dedupe index is lent for the whole sample: one exclusivity check, not one per probe.
            switch foldSample(sample, partition: pid, offset: record.offset, wallNow: wallNow, dedupe: &dedupe) {
            case .folded:
                folded += 1
                if latestFolded.map({ $0 < sample.timestamp }) ?? true { latestFolded = sample.timestamp }
            case .duplicate: duplicates += 1
            case .rejected(let reason, let detail):
                // The decoder emits good samples without their payload index; name the sample instead.
                let which = "sample \(symbols.string(sample.resource))@\(Timestamps.iso8601(sample.timestamp))"
                rejections.append(SampleRejection(reason: reason, sampleIndex: -1, detail: which + ": " + detail))
            }
        }
        func reject(_ rejection: SampleRejection) { rejections.append(rejection) }
        if let decoded = predecoded.take(partition: pid, offset: record.offset) {
            // Decoded already, by the pre-clock preview or the decode thread (its symbols first).
            if decoded.symbols > 0 {
                remap.catchUp(to: decoded.symbols, in: symbols)
                predecoded.remap(decoded, remap)
            }
            if let error = decoded.error { recordError = error } else { predecoded.replay(decoded, emit: emit, reject: reject) }
        } else {
            do {
                try decode(record, topic: Int(topic), emit: emit, reject: reject)
            } catch {
                recordError = error
            }
        }
        if let latestFolded { partitions.observe(pid, eventTime: latestFolded, wallNow: wallNow) }
        partitions.noteActivity(pid, wallNow: wallNow)
        counters.samplesIn += UInt64(folded + duplicates + unknown + rejections.count)
        counters.samplesUnknownMeter += UInt64(unknown)
        counters.samplesFolded += UInt64(folded)
        counters.samplesDuplicate += UInt64(duplicates)
        counters.samplesDeadLettered += UInt64(rejections.count)
        if recordError != nil || !rejections.isEmpty {
            counters.recordsDeadLettered += 1
            deadLetter(record, error: recordError, rejections: rejections)
        } else if folded == 0 && unknown > 0 {
            counters.recordsUnknownMeter += 1
        } else if folded == 0 && duplicates > 0 {
            counters.recordsDuplicate += 1
        } else {
            counters.recordsFolded += 1
        }
    }

    /// `dedupe` is the rater's `dedupe`, lent by the caller (the class's stored property
    /// cost a dynamic exclusivity check at each of its four uses here).
    func foldSample(_ sample: DecodedSample, partition pid: PartitionID, offset: Int64, wallNow: EventTime,
                    dedupe: inout DedupeIndex) -> SampleOutcome {
        guard let m = catalog.index(of: sample.metric) else {
            return .rejected(.unknownMetric, "metric '\(symbols.string(sample.metric))' is not in the metrics configuration")
        }
        // Its fields are read through the metric (a class): bound to a local, the definition
        // was copied, a retain and a release of each of its strings per sample.
        let metric = catalog.metrics[m]
        if PartitionClock.isFutureTimestamp(sample.timestamp, wallNow: wallNow, maxSkew: catalog.maxFutureSkew) {
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
        if wasRefused(sample.key, partition: pid, offset: offset) {
            return .rejected(.conflictingDuplicate, "sample id \(SampleDigest.uuidText(sample.key)) was refused by the rater as a conflicting duplicate")
        }
        if let first = dedupe.firstCopy(sample.key) {
            guard first.fingerprint != 0, first.fingerprint != shortFingerprint else { return .duplicate }
            return .rejected(.conflictingDuplicate, conflictDetail(sample, first: first))
        }
        if dedupe.containsContent(fingerprint) { return .duplicate }
        let bounds = metric.definition.period.window(containing: sample.timestamp)
        if let earliest = catalog.earliestEventTime, sample.timestamp < earliest {
            counters.samplesTooLate += 1
            return .rejected(.tooLate, "timestamp \(Timestamps.iso8601(sample.timestamp)) is before earliest_event_time \(Timestamps.iso8601(earliest))")
        }
        // Read once: each read of the class's `partitions` is a dynamic exclusivity check.
        let closingClock = partitions.closingClock
        let lateness = PartitionGroup.lateness(windowEnd: bounds.end, grace: metric.definition.grace,
                                               retention: metric.definition.retention, closingClock: closingClock)
        if lateness == .tooLate {
            counters.samplesTooLate += 1
            return .rejected(.tooLate, "window \(Timestamps.iso8601(bounds.start))–\(Timestamps.iso8601(bounds.end)) of '\(metric.definition.key)' is past its retention of \(metric.definition.retention)")
        }
        let late = lateness == .late
        if closingClock == nil, let horizon = preClockHorizon(pid, offset: offset), bounds.end + metric.definition.grace <= horizon,
                  horizon - (bounds.end + metric.definition.grace) > metric.definition.retention {
            // No closing clock yet (a new state's first batches): its record's and the next
            // record's latest samples stand in for it, so a 1970 sample is not billed just
            // because it came first (StreamRater+PreClock.swift).
            counters.samplesTooLate += 1
            return .rejected(.tooLate, "window \(Timestamps.iso8601(bounds.start))–\(Timestamps.iso8601(bounds.end)) of '\(metric.definition.key)' is past its retention of \(metric.definition.retention), counted from \(Timestamps.iso8601(horizon)), the latest sample of its record and the next one on its partition (the event clock is not set yet)")
        }
        let here = DedupeIndex.FirstCopy(fingerprint: shortFingerprint, topic: pid.topic, partition: pid.partition, offset: offset)
        dedupe.insert(sample.key, at: sample.timestamp, first: here)
        dedupe.insert(content: fingerprint, at: sample.timestamp)

        let group = groupSymbol(metric, sample)
        let key = WindowKey(start: bounds.start, metric: metric.name, scope: scope, resource: sample.resource, group: group)
        let windows = self.windows
        let slot = windows.slot(for: key, metric: m, bounds: bounds, sample: sample, late: late)
        let reopened = windows.cache.fold(sample, into: slot, content: fingerprint, metric: metric, topic: pid.topic,
                                          partition: pid.partition, offset: offset, late: late)
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

    /// The interned tuple of the metric's extra groupby values (`.none` if it has none).
    func groupSymbol(_ metric: MetricCatalog.Compiled, _ sample: DecodedSample) -> Symbol {
        guard !metric.extraGroupby.isEmpty else { return .none }
        groupScratch.removeAll(keepingCapacity: true)
        for i in metric.extraGroupby {
            let v = MetricCatalog.value(of: metric.groupby[i], in: sample)
            groupScratch.append(v.kind.rawValue)
            withUnsafeBytes(of: v.text.raw.bigEndian) { groupScratch.append(contentsOf: $0) }
        }
        return groupScratch.withUnsafeBytes { symbols.intern($0) }
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
