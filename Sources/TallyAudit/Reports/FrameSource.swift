import Foundation
import TallyCore
import TallyIndex
import TallyKafka
import TallyRuntime

/// Where `tally report` and `tally trace` read frames from: the frame index that `tally serve`
/// keeps (`api.index_path`) when it exists and has stored every record up to the frames
/// topic's high watermarks, else the frames topic itself. Both give the same latest revisions,
/// so the output is the same; the index saves reading the whole topic.
public enum FrameSource {
    case index(FrameIndex, path: String)
    /// The topic, and why not the index.
    case topic(reason: String)

    /// Picks the index if it is there and caught up (never creates one); `forceTopic` is
    /// `--from-topic`. A broker that cannot give the high watermarks means the topic.
    public static func choose(config: ServiceConfig, forceTopic: Bool) -> FrameSource {
        if forceTopic { return .topic(reason: "--from-topic") }
        let path = config.indexPath
        guard FileManager.default.fileExists(atPath: path + "/data.mdb") else {
            return .topic(reason: "no frame index at \(path)")
        }
        do {
            let index = try FrameIndex(path: path)
            var kafka = KafkaConfig(bootstrapServers: config.bootstrapServers)
            for (key, value) in config.kafkaProperties { kafka[key] = value }
            let lag = try FrameIndexFollower(index: index, topic: config.framesTopic, kafka: kafka).lag()
            let behind = lag.values.reduce(0, +)
            guard !lag.isEmpty, behind == 0 else {
                index.close()
                return .topic(reason: lag.isEmpty ? "\(config.framesTopic) has no partitions"
                                                  : "the frame index at \(path) is \(behind) record(s) behind \(config.framesTopic)")
            }
            return .index(index, path: path)
        } catch {
            return .topic(reason: "the frame index at \(path) cannot be checked: \(error)")
        }
    }

    /// One line for stderr: which source was read, and why not the index.
    public func describe(command: String, config: ServiceConfig) -> String {
        switch self {
        case .index(_, let path):
            return "tally \(command): frames from the frame index at \(path) (caught up with \(config.framesTopic))"
        case .topic(let reason):
            return "tally \(command): frames from the topic \(config.framesTopic) (\(reason))"
        }
    }

    /// Closes the index, if one was opened.
    public func close() {
        if case .index(let index, _) = self { index.close() }
    }
}

extension FrameSource {
    /// The latest revision of every frame, and a note for stderr when frames were skipped
    /// (malformed) or resent copies differ from the first (nil when neither happened).
    public func ledger(config: ServiceConfig) throws -> (ledger: FrameLedger, note: String?) {
        switch self {
        case .index(let index, _):
            // Every scope and time: the report's "closed through" looks at all frames.
            let frames = try index.summaries(scopes: nil, from: EventTime(micros: .min), to: EventTime(micros: .max))
            let counts = try index.counts()
            let note = counts.malformed > 0 || counts.conflicts > 0
                ? "\(counts.malformed) malformed frame(s) skipped; \(counts.conflicts) resent frame(s) differ from the first copy (the index kept the first)"
                : nil
            return (FrameLedger(latest: frames), note)
        case .topic:
            var ledger = FrameLedger()
            // Streamed: the ledger keeps what it needs of each frame, the topic is not held.
            try PartitionReader.forEachRecord(of: config.framesTopic, bootstrapServers: config.bootstrapServers) { _, _, value in
                ledger.add(Array(value))
            }
            let note = ledger.malformed > 0 || !ledger.conflicts.isEmpty
                ? "\(ledger.malformed) malformed frame(s) skipped; \(ledger.conflicts.count) resent frame(s) differ from the first copy: \(ledger.conflicts.prefix(5))"
                : nil
            return (ledger, note)
        }
    }

    /// Every revision of one frame, oldest first, verbatim; nil when the source is the topic
    /// (the trace then scans it).
    public func revisions(of frameID: String) throws -> [[UInt8]]? {
        guard case .index(let index, _) = self else { return nil }
        return try index.revisions(of: frameID)
    }
}
