import TallyCore
import TallyEngine
import TallyKafka

extension GroupRaterService {
    /// Folds what the side reader brings (docs/SCALE.md): rule events into the pricer every
    /// task shares, so each task prices the windows it closes in its later batches with them
    /// (every frame names the book it was priced with, so verify reproduces it whichever
    /// batch closed it); correction records to every owned task, which executes the items of
    /// its own chain once and keeps the position in its state.
    func readSide(_ side: GroupSideReader, options: Options) throws {
        let batch = try side.poll()
        for error in batch.errors {
            if error.isFatal { throw error }
            log("tally run: rule log / corrections reader: \(error)")
        }
        for record in batch {
            let bytes = Array(record.value)
            if side.isRuleEvent(record), let ruleLog {
                let outcome = ruleLog.apply(eventBytes: bytes, offset: record.offset)
                options.ruleEvent?(bytes, record.offset, outcome)
                // A change may make a tiered metric's ledger partial in a task: refuse it as at start.
                if outcome.isAccepted { try Self.checkTiers(metrics: metrics, pricer: pricer) }
                continue
            }
            var malformed: String?
            for p in tasks.keys.sorted() {
                guard let task = tasks[p] else { continue }
                switch try task.rater.receiveCorrection(bytes, offset: record.offset) {
                case .passedOver: break
                case .malformed(let why): malformed = why
                case .executed(let receipt):
                    log("tally run: \(task.partition): replay \(receipt.replayId) part \(receipt.part + 1)/\(receipt.parts) "
                        + "executed for frames partition \(p): \(receipt.corrected.count) correction(s), \(receipt.skipped.count) skipped"
                        + receipt.skipped.prefix(3).map { " (\($0.frameId): \($0.reason))" }.joined())
                }
            }
            if let malformed { log("tally run: \(record.topic) offset \(record.offset) passed over: \(malformed)") }
        }
        batch.release()
    }
}
