import TallyCore
import TallyWire

/// Records the pre-clock preview decoded, kept until `fold` takes them: before the
/// closing clock exists every record is previewed (its latest event time) and then
/// folded, and decoding it once instead of twice saved a fifth of `tally rate`'s
/// decoding (whose first file is previewed whole). Samples are kept with their metadata
/// slots copied out of the decoder's buffer; sample rejections and the record's error
/// are kept in decoding order, so a folded record dead-letters exactly as if decoded
/// again. Emptied at every commit: previewed records are folded in the same batch.
struct PredecodedRecords {
    /// What decoding one record gave, in decoding order.
    struct Record {
        enum Event {
            case sample(Int)
            case rejection(SampleRejection)
        }
        var events: [Event] = []
        var samples: [DecodedSample] = []
        /// Sample i's metadata slots are `metadata[i * slots ..< (i + 1) * slots]`.
        var metadata: [MetaValue] = []
        var slots = 0
        var error: RecordDecodeError?

        /// Keeps `sample`, whose metadata is valid only during the decoder's callback.
        mutating func append(_ sample: DecodedSample) {
            slots = sample.metadata.count
            metadata.append(contentsOf: sample.metadata)
            events.append(.sample(samples.count))
            samples.append(sample)
        }

        /// Hands the events back in order, each sample with its metadata valid during `emit`.
        func replay(emit: (DecodedSample) -> Void, reject: (SampleRejection) -> Void) {
            metadata.withUnsafeBufferPointer { all in
                for event in events {
                    switch event {
                    case .sample(let i):
                        var sample = samples[i]
                        sample.metadata = UnsafeBufferPointer(rebasing: all[i * slots ..< (i + 1) * slots])
                        emit(sample)
                    case .rejection(let rejection):
                        reject(rejection)
                    }
                }
            }
        }
    }

    /// One partition's kept records in offset order (the preview sees offsets only grow),
    /// and how many of them `fold` has passed: fold reads in the same order, so taking one
    /// is a look at the head, not a hash of its offset.
    struct Queue {
        var records: [(offset: Int64, record: Record)] = []
        var head = 0

        mutating func take(_ offset: Int64) -> Record? {
            while head < records.count, records[head].offset < offset { head += 1 }  // fold skipped them
            guard head < records.count, records[head].offset == offset else { return nil }
            let record = records[head].record
            records[head].record = Record()  // its samples are freed once folded
            head += 1
            return record
        }
    }

    private var queues: [StreamRater.PartitionID: Queue] = [:]

    var isEmpty: Bool { queues.isEmpty }

    mutating func keep(_ record: Record, partition: StreamRater.PartitionID, offset: Int64) {
        queues[partition, default: Queue()].records.append((offset, record))
    }

    /// The record decoded at `offset` of `partition`, if the preview kept it; forgets it and
    /// any kept before it (records fold skipped).
    mutating func take(partition: StreamRater.PartitionID, offset: Int64) -> Record? {
        guard !queues.isEmpty, queues[partition] != nil else { return nil }
        return queues[partition]!.take(offset)
    }

    mutating func removeAll() { queues.removeAll() }
}
