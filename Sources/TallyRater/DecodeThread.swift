import Foundation
import TallyEngine
import TallyKafka
import TallyRuntime
import TallyThreads
import TallyWire

/// `tally run`'s decode thread (`engine.decode_thread`, RaterService.swift): takes the
/// batches the rater's thread polled, decodes their input records with an `AheadDecoder`
/// and hands them back in the order they came, so the rater's thread folds batch N while
/// this one decodes batch N+1. Nothing here decides anything: the rater's thread still
/// polls, folds, closes, commits and acts on every partition event and consumer error,
/// batch by batch, in poll order; a batch handed back is folded or, when the rater stops,
/// dropped (its records are read again after a restart: offsets commit with the state).
///
/// Bounded: the rater's thread polls into a pool of `depth` `KafkaRecordBatch`es, so at most
/// that many batches are polled and not yet folded (librdkafka's fetch queue bounds what
/// waits behind them); both hand-offs hold `depth`, so neither side ever waits on a full
/// one, only on an empty one. Two: one folding, the next decoding.
final class DecodeThread {
    struct Decoded {
        /// The batch as polled; the records are still librdkafka's, freed by `release()`.
        let polled: KafkaRecordBatch
        let decoded: DecodedBatch
    }

    static let name = "tally-decode"
    /// Batches polled ahead of the fold, the one being folded included.
    static let depth = 2

    private let jobs: BoundedHandOff<KafkaRecordBatch>
    private let done: BoundedHandOff<Decoded>
    private let thread = FollowerThread(name: DecodeThread.name)

    /// Starts the thread; `depth` is the most batches it is handed at once.
    init(decoder: AheadDecoder, depth: Int) {
        jobs = BoundedHandOff(capacity: depth)
        done = BoundedHandOff(capacity: depth)
        thread.start { [jobs, done] in
            defer { ThreadName.noteEnding() }
            while let polled = jobs.take() {
                let wallNow = WallClock.now()
                for record in polled {
                    // A routed record names its format (`tally route`; docs/SCALE.md).
                    decoder.decode(InputRecord(topic: record.topic, partition: record.partition, offset: record.offset,
                                               key: record.key, value: record.value,
                                               formatHeader: record.headerBytes(named: InputFormat.headerName)),
                                   wallNow: wallNow)
                }
                guard done.put(Decoded(polled: polled, decoded: decoder.finish())) else { return }
            }
        }
    }

    /// Hands a polled batch to the thread (never waits: see the type's comment).
    func submit(_ polled: KafkaRecordBatch) { jobs.put(polled) }

    /// The oldest submitted batch, decoded: waits for the thread to finish it.
    func next() -> Decoded? { done.take() }

    /// Stops the thread and waits for it to end (it finishes the batch it is decoding).
    func stop() {
        thread.stop {
            jobs.close()
            done.close()
        }
    }
}
