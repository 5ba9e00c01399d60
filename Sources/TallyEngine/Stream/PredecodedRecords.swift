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
/// A partition's kept records share its queue's arrays (`Queue`), and the preview fills
/// one reused `Record`: three arrays allocated per record, as before, were a malloc and a
/// free each for every line of `tally rate`'s first file.
struct PredecodedRecords {
    enum Event {
        case sample(Int)
        case rejection(SampleRejection)
    }

    /// What decoding one record gave, in decoding order: the preview fills one, `keep`
    /// copies it into its partition's queue, and the preview empties it for the next record.
    struct Record {
        var events: [Event] = []
        var samples: [DecodedSample] = []
        /// Sample i's metadata slots are `metadata[i * slots ..< (i + 1) * slots]`.
        var metadata: [MetaValue] = []
        var slots = 0
        var error: RecordDecodeError?

        init() {}
        init(error: RecordDecodeError) { self.error = error }

        /// Keeps `sample`, whose metadata is valid only during the decoder's callback.
        mutating func append(_ sample: DecodedSample) {
            slots = sample.metadata.count
            metadata.append(contentsOf: sample.metadata)
            events.append(.sample(samples.count))
            samples.append(sample)
        }

        /// Empty again, keeping the arrays' storage for the next record.
        mutating func removeAll() {
            events.removeAll(keepingCapacity: true)
            samples.removeAll(keepingCapacity: true)
            metadata.removeAll(keepingCapacity: true)
            slots = 0
            error = nil
        }
    }

    /// A record taken from its queue: where its events are, and its error.
    struct Kept {
        var partition: StreamRater.PartitionID
        var events: Range<Int>
        var error: RecordDecodeError?
    }

    /// One partition's kept records in offset order (the preview sees offsets only grow),
    /// and how many of them `fold` has passed: fold reads in the same order, so taking one
    /// is a look at the head, not a hash of its offset. Every record's events, samples and
    /// metadata are in the queue's own arrays.
    struct Queue {
        var records: [(offset: Int64, events: Range<Int>, error: RecordDecodeError?)] = []
        var events: [Event] = []
        var samples: [(sample: DecodedSample, metadata: Range<Int>)] = []
        var metadata: [MetaValue] = []
        var head = 0

        mutating func append(_ record: Record, offset: Int64) {
            let first = events.count
            for event in record.events {
                switch event {
                case .sample(let i):
                    let start = metadata.count
                    metadata.append(contentsOf: record.metadata[i * record.slots ..< (i + 1) * record.slots])
                    events.append(.sample(samples.count))
                    samples.append((record.samples[i], start ..< metadata.count))
                case .rejection:
                    events.append(event)
                }
            }
            records.append((offset, first ..< events.count, record.error))
        }

        mutating func take(_ offset: Int64) -> (events: Range<Int>, error: RecordDecodeError?)? {
            while head < records.count, records[head].offset < offset { head += 1 }  // fold skipped them
            guard head < records.count, records[head].offset == offset else { return nil }
            defer { head += 1 }
            return (records[head].events, records[head].error)
        }
    }

    private var queues: [StreamRater.PartitionID: Queue] = [:]

    var isEmpty: Bool { queues.isEmpty }

    mutating func keep(_ record: Record, partition: StreamRater.PartitionID, offset: Int64) {
        queues[partition, default: Queue()].append(record, offset: offset)
    }

    /// The record decoded at `offset` of `partition`, if the preview kept it; forgets it and
    /// any kept before it (records fold skipped).
    mutating func take(partition: StreamRater.PartitionID, offset: Int64) -> Kept? {
        guard !queues.isEmpty, queues[partition] != nil,
              let taken = queues[partition]!.take(offset) else { return nil }
        return Kept(partition: partition, events: taken.events, error: taken.error)
    }

    /// Hands `kept`'s events back in order, each sample with its metadata valid during `emit`.
    func replay(_ kept: Kept, emit: (DecodedSample) -> Void, reject: (SampleRejection) -> Void) {
        guard let queue = queues[kept.partition] else { return }
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

    mutating func removeAll() { queues.removeAll() }
}
