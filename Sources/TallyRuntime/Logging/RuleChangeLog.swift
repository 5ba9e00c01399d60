import Logging
import TallyCore
import TallyWire

/// The log entry for a rule event a process folded while running (a rule change picked up
/// live): who wrote it, its place in the log, what it changes, and whether it was accepted.
public enum RuleChangeLog {
    public static func log(_ logger: Logger, eventBytes: [UInt8], offset: Int64, outcome: RuleEventOutcome) {
        if case .alreadyFolded = outcome { return }
        var metadata: Logger.Metadata = ["offset": "\(offset)"]
        switch outcome {
        case .accepted: metadata["outcome"] = "accepted"
        case .rejected(let rejection): metadata["outcome"] = "rejected"; metadata["rejection"] = "\(rejection)"
        case .alreadyFolded: break
        }
        guard let event = try? RuleEventCodec.decode(eventBytes) else {
            logger.warning("rule event at offset \(offset) is not readable", metadata: metadata)
            return
        }
        metadata["author"] = .string(event.author)
        metadata["event_id"] = .string(event.id)
        metadata["reason"] = .string(event.reason)
        metadata["change"] = .string(describe(event))
        metadata["hash"] = .string(event.hash)
        logger.notice("rule change \(event.change.operation) by \(event.author)", metadata: metadata)
    }

    /// `create mapping 'x' from T until U`; the parts of a batch joined with "; ".
    static func describe(_ event: RuleEvent) -> String {
        if case .batch(let parts) = event.change { return parts.map(\.description).joined(separator: "; ") }
        return PlannedRuleChange(change: event.change, start: event.start, end: event.end).description
    }
}
