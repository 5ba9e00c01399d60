import TallyCore
import TallyWire

/// One record's fold (`StreamRater.fold`): what each of its samples is checked against, read
/// from the rater once per record, and what its samples came to.
///
/// Read from the rater's stored properties at each sample, these were a dynamic exclusivity
/// check each (the rater is a class; ~90 instructions with its end), and the record's counts,
/// kept in local variables that the samples' callback captured, were boxed on the heap with a
/// check at each change. None of them changes while a record folds: the closing clock moves at
/// the commit, the refused copies are set before a replay starts, and the pre-clock previews
/// are noted before the record folds.
struct RecordFold {
    let partition: StreamRater.PartitionID
    let offset: Int64
    let wallNow: EventTime
    let closingClock: EventTime?
    /// Whether the rater holds copies refused by the live rater (a replay's): else no sample
    /// needs looking up among them.
    let checksRefusals: Bool
    let unknownMeters: UnknownMeterPolicy

    var folded = 0, duplicates = 0, unknown = 0
    var latestFolded: EventTime?
    var rejections: [SampleRejection] = []

    /// The record's pre-clock horizon once looked up (it depends on the partition and offset only).
    private var horizon: EventTime??

    init(partition: StreamRater.PartitionID, offset: Int64, wallNow: EventTime, closingClock: EventTime?,
         checksRefusals: Bool, unknownMeters: UnknownMeterPolicy) {
        self.partition = partition; self.offset = offset; self.wallNow = wallNow; self.closingClock = closingClock
        self.checksRefusals = checksRefusals; self.unknownMeters = unknownMeters
    }

    /// What stands in for the closing clock before it exists (StreamRater+PreClock.swift),
    /// looked up at the record's first sample that needs it.
    mutating func preClockHorizon(_ rater: StreamRater) -> EventTime? {
        if let horizon { return horizon }
        let found = rater.preClockHorizon(partition, offset: offset)
        horizon = .some(found)
        return found
    }

    /// Adds the record and its samples to `counters`, in one access to the rater's.
    func count(failed: Bool, into counters: inout Counters) {
        counters.recordsIn += 1
        counters.samplesIn += UInt64(folded + duplicates + unknown + rejections.count)
        counters.samplesUnknownMeter += UInt64(unknown)
        counters.samplesFolded += UInt64(folded)
        counters.samplesDuplicate += UInt64(duplicates)
        counters.samplesDeadLettered += UInt64(rejections.count)
        if failed || !rejections.isEmpty {
            counters.recordsDeadLettered += 1
        } else if folded == 0 && unknown > 0 {
            counters.recordsUnknownMeter += 1
        } else if folded == 0 && duplicates > 0 {
            counters.recordsDuplicate += 1
        } else {
            counters.recordsFolded += 1
        }
    }
}
