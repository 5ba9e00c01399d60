import TallyEngine

extension Counters {
    /// Adds another task's counters (group mode sums its tasks' for progress and exit lines).
    mutating func add(_ other: Counters) {
        recordsIn += other.recordsIn; recordsFolded += other.recordsFolded
        recordsDuplicate += other.recordsDuplicate; recordsDeadLettered += other.recordsDeadLettered
        samplesIn += other.samplesIn; samplesFolded += other.samplesFolded
        samplesDuplicate += other.samplesDuplicate; samplesDeadLettered += other.samplesDeadLettered
        samplesUnknownMeter += other.samplesUnknownMeter; recordsUnknownMeter += other.recordsUnknownMeter
        samplesLate += other.samplesLate; samplesTooLate += other.samplesTooLate
        framesEmitted += other.framesEmitted; framesRevised += other.framesRevised
        windowsRatingFailed += other.windowsRatingFailed
        for (k, v) in other.unknownMeters { unknownMeters[k, default: 0] += v }
        for (k, v) in other.deadLettersByReason { deadLettersByReason[k, default: 0] += v }
    }
}
