import TallyCore
import TallyWire

/// Records the pre-clock preview decoded, kept until `fold` takes them: before the
/// closing clock exists every record is previewed (its latest event time) and then
/// folded, and decoding it once instead of twice saved a fifth of `tally rate`'s
/// decoding (whose first file is previewed whole). Samples are kept with their metadata
/// slots copied out of the decoder's buffer; sample rejections and the record's error
/// are kept in decoding order, so a folded record dead-letters exactly as if decoded
/// again. Emptied at every commit: previewed records are folded in the same batch.
///
/// The preview decodes each record straight into its partition's queue (`keep`): no
/// record of its own in between, whose samples and metadata were copied a second time,
/// into the queue (~2% of `tally rate`), and no three arrays per record, as before that.
/// The partition's queue is found by comparing with the last one used before any hashing:
/// a batch's records mostly come from one partition, and `keep`, `take` and `replay` each
/// hashed its `PartitionID` (SipHash) for every record.
///
/// The decode thread (`AheadDecoder`, `tally run`'s pipeline) fills one of these per polled
/// batch with symbols of its own table; each record then notes how many symbols that table
/// held after it (`symbols`), so the engine can intern them into its own table in the same
/// order before the record folds (`SymbolRemap`). A record the preview kept has `symbols` 0.
public struct PredecodedRecords {
    enum Event {
        case sample(Int)
        case rejection(SampleRejection)
    }

    /// A record taken from its queue: where its events are, and its error.
    struct Kept {
        fileprivate var queue: Int
        var events: Range<Int>
        var error: RecordDecodeError?
        /// The decode thread's symbol count after this record (0: the engine's own symbols).
        var symbols: Int
    }

    /// One partition's kept records in offset order (the preview sees offsets only grow),
    /// and how many of them `fold` has passed: fold reads in the same order, so taking one
    /// is a look at the head, not a hash of its offset. Every record's events, samples and
    /// metadata are in the queue's own arrays.
    struct Queue {
        var records: [(offset: Int64, events: Range<Int>, error: RecordDecodeError?, symbols: Int)] = []
        var events: [Event] = []
        var samples: [(sample: DecodedSample, metadata: Range<Int>)] = []
        var metadata: [MetaValue] = []
        var head = 0

        /// Where the record being kept began in each array, to roll it back if it fails.
        private var recordStart = (events: 0, samples: 0, metadata: 0)

        /// Keeps `sample`, whose metadata is valid only during the decoder's callback.
        mutating func append(_ sample: DecodedSample) {
            let start = metadata.count
            metadata.append(contentsOf: sample.metadata)
            events.append(.sample(samples.count))
            samples.append((sample, start ..< metadata.count))
        }

        mutating func append(_ rejection: SampleRejection) { events.append(.rejection(rejection)) }

        /// Ends the record at `offset` whose events were appended since the last one ended.
        /// A record that failed keeps only its error: what it emitted before is dropped,
        /// as the fold of a failed record folds nothing.
        mutating func finish(offset: Int64, error: RecordDecodeError?, symbols: Int = 0) {
            if error != nil {
                events.removeSubrange(recordStart.events...)
                samples.removeSubrange(recordStart.samples...)
                metadata.removeSubrange(recordStart.metadata...)
            }
            records.append((offset, recordStart.events ..< events.count, error, symbols))
            recordStart = (events.count, samples.count, metadata.count)
        }

        mutating func take(_ offset: Int64) -> (events: Range<Int>, error: RecordDecodeError?, symbols: Int)? {
            while head < records.count, records[head].offset < offset { head += 1 }  // fold skipped them
            guard head < records.count, records[head].offset == offset else { return nil }
            defer { head += 1 }
            return (records[head].events, records[head].error, records[head].symbols)
        }

        /// Rewrites the symbols of the samples in `events` (and their metadata) through `remap`.
        mutating func remap(_ events: Range<Int>, _ remap: SymbolRemap) {
            for event in self.events[events] {
                guard case .sample(let i) = event else { continue }
                remap.apply(&samples[i].sample)
                for m in samples[i].metadata { metadata[m].text = remap[metadata[m].text] }
            }
        }
    }

    private var queues: [Queue] = []
    private var queueOf: [StreamRater.PartitionID: Int] = [:]
    /// The partition and queue used last, looked at before `queueOf` is hashed.
    private var recent: (partition: StreamRater.PartitionID, queue: Int)?

    public init() {}

    var isEmpty: Bool { queues.isEmpty }

    /// The number of records kept (taken or not).
    public var recordCount: Int { queues.reduce(0) { $0 + $1.records.count } }

    private mutating func queue(of partition: StreamRater.PartitionID, adding: Bool) -> Int? {
        if let recent, recent.partition == partition { return recent.queue }
        var found = queueOf[partition]
        if found == nil, adding {
            found = queues.count
            queueOf[partition] = queues.count
            queues.append(Queue())
        }
        if let found { recent = (partition, found) }
        return found
    }

    /// Keeps the record at `offset` of `partition` as `decode` gives it: `decode` appends
    /// its samples and rejections to the queue in order and returns the record's error.
    /// `symbols` is read after `decode`: the decode thread's symbol count (0 from the preview).
    mutating func keep(partition: StreamRater.PartitionID, offset: Int64, symbols: () -> Int = { 0 },
                       decode: (inout Queue) -> RecordDecodeError?) {
        let q = queue(of: partition, adding: true)!
        let error = decode(&queues[q])
        queues[q].finish(offset: offset, error: error, symbols: symbols())
    }

    /// The record decoded at `offset` of `partition`, if the preview kept it; forgets it and
    /// any kept before it (records fold skipped).
    mutating func take(partition: StreamRater.PartitionID, offset: Int64) -> Kept? {
        guard !queues.isEmpty, let q = queue(of: partition, adding: false), let taken = queues[q].take(offset) else { return nil }
        return Kept(queue: q, events: taken.events, error: taken.error, symbols: taken.symbols)
    }

    /// Puts `kept`'s samples into the engine's symbols (a record the decode thread kept).
    mutating func remap(_ kept: Kept, _ remap: SymbolRemap) {
        queues[kept.queue].remap(kept.events, remap)
    }

    /// Hands `kept`'s events back in order, each sample with its metadata valid during `emit`.
    func replay(_ kept: Kept, emit: (DecodedSample) -> Void, reject: (SampleRejection) -> Void) {
        let queue = queues[kept.queue]
        queue.metadata.withUnsafeBufferPointer { all in
            for event in queue.events[kept.events] {
                switch event {
                case .sample(let i):
                    var sample = queue.samples[i].sample
                    sample.metadata = UnsafeBufferPointer(rebasing: all[queue.samples[i].metadata])
                    emit(sample)
                case .rejection(let rejection):
                    reject(rejection)
                }
            }
        }
    }

    mutating func removeAll() {
        queues.removeAll()
        queueOf.removeAll()
        recent = nil
    }
}
