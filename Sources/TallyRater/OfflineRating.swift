import Foundation
import TallyCore
import TallyEngine
import TallyRuntime
import TallyWire

/// `tally rate`: folds sample files into windows exactly as the rater does (same
/// engine, a memory store), closes every window at the end of the input and
/// returns the frames. Each file is one input; each line one record, whose
/// lineage is the file and its line number (offset = line − 1). Lines are bytes, not
/// text: a line that is not UTF-8 is refused on its own, as the rater refuses a record.
public struct OfflineRating {
    public struct Problem: CustomStringConvertible {
        public var file: String
        public var line: Int
        public var reason: String
        public var detail: String
        public var description: String { "\(file):\(line): \(reason): \(detail)" }
    }

    /// The frames in the order they were sealed; empty when a `frameSink` or `frameValueSink` took them.
    public var frames: [[UInt8]] = []
    public var problems: [Problem] = []
    public var counters = Counters()

    /// - Parameters:
    ///   - decoding, unknownMeters: the policies of a `kafka.inputs[]` entry, applied to every file.
    ///   - frameSink: takes each frame as it is sealed, in the order `frames` would hold them,
    ///     so that a caller that writes them out keeps none (100,000 frames are ~115 MB). Only
    ///     the engine's construction and restore throw before the first frame: the memory store
    ///     fails no read or write, so a caller that streams the frames never has to take back
    ///     some of them for an error.
    ///   - frameValueSink: as `frameSink`, but takes each frame's `Frame` value (its fields, for
    ///     a caller that reads them: the table), not its bytes. At most one of the two.
    public init(metrics: MetricsConfig, pricer: WindowPricer, files: [(name: String, lines: [[UInt8]])],
                decoding: DecoderOptions = DecoderOptions(), unknownMeters: UnknownMeterPolicy = .deadLetter,
                wallNow: EventTime = WallClock.now(), frameSink: (([UInt8]) -> Void)? = nil,
                frameValueSink: ((Frame) -> Void)? = nil) throws {
        precondition(frameSink == nil || frameValueSink == nil, "give OfflineRating a frame sink or a frame value sink, not both")
        var inputs: [EngineSettings.Input] = []
        for file in files {
            inputs.append(.init(topic: file.name, format: .nativeOrCloudEvents, decoding: decoding, unknownMeters: unknownMeters))
            inputs.append(.init(topic: file.name + "#ceilometer", format: .ceilometer, decoding: decoding,
                                unknownMeters: unknownMeters))
        }
        // A transaction that throws ends the rating (the error leaves this initialiser and
        // the store with it), so the store keeps no undo log for one.
        let rater = try StreamRater(settings: EngineSettings(inputs: inputs, framesPartitions: 1), metrics: metrics,
                                    pricer: pricer, store: MemoryStateStore(rollsBackFailedWrites: false))
        _ = try rater.restore(wallNow: wallNow)
        // Frames are taken as they close, not through the outbox: nothing is sent, and
        // an outbox entry would copy each frame into the memory store. Only their bytes:
        // a frame sink would also build each frame's `Frame` value.
        var closed: [[UInt8]] = []
        if let frameValueSink {
            rater.frameSink = { frame, _ in frameValueSink(frame) }
        } else {
            rater.frameRecordSink = frameSink ?? { bytes in closed.append(bytes) }
        }
        var sent: [OutgoingMessage] = []
        for file in files {
            let ceilometerTopic = file.name + "#ceilometer"
            // Each file is one batch; the first is previewed, as the rater previews its first batch.
            let passes: [(InputRecord) -> Void] = rater.needsPreview
                ? [{ rater.preview($0, wallNow: wallNow) }, { rater.fold($0, wallNow: wallNow) }]
                : [{ rater.fold($0, wallNow: wallNow) }]
            // Each line's topic is found once, for every pass: nil for a blank line.
            let topics = file.lines.map { line -> String? in
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
                return Self.isCeilometer(line) ? ceilometerTopic : file.name
            }
            for pass in passes {
                for (i, line) in file.lines.enumerated() {
                    guard let topic = topics[i] else { continue }
                    line.withUnsafeBytes { raw in
                        pass(InputRecord(topic: topic, partition: 0, offset: Int64(i), key: nil, value: raw))
                    }
                }
            }
            sent += try rater.commitBatch(wallNow: wallNow)
        }
        // The end of the input closes every open window exactly as `commitBatch(endOfInput:)`
        // would, without writing them to the store a second time (nothing reads it after
        // this): no record is folded after the last batch, so no dead letter is left to send.
        try rater.closeEverything(wallNow: wallNow)
        frames = closed
        for letter in sent where letter.topic == "tally.deadletter" {
            guard let object = try? JSONSerialization.jsonObject(with: Data(letter.value)) as? [String: Any],
                  let source = object["source"] as? [String: Any] else { continue }
            let topic = (source["topic"] as? String ?? "").replacingOccurrences(of: "#ceilometer", with: "")
            problems.append(Problem(file: topic, line: (source["offset"] as? Int ?? -1) + 1,
                                    reason: object["reason"] as? String ?? "",
                                    detail: Self.fileLines(in: object["detail"] as? String ?? "")))
        }
        counters = rater.counters
    }

    /// Record coordinates in a detail (a conflicting duplicate names its first copy) as
    /// `file:line`, the way this command names records.
    static func fileLines(in detail: String) -> String {
        guard let pattern = try? NSRegularExpression(pattern: "topic (.+?)(?:#ceilometer)? partition 0 offset ([0-9]+)") else { return detail }
        var out = detail
        for match in pattern.matches(in: detail, range: NSRange(detail.startIndex..., in: detail)).reversed() {
            guard let whole = Range(match.range, in: detail), let file = Range(match.range(at: 1), in: detail),
                  let offset = Range(match.range(at: 2), in: detail), let n = Int(detail[offset]) else { continue }
            out.replaceSubrange(whole, with: "\(detail[file]):\(n + 1)")
        }
        return out
    }

    /// Whether `line` is a Ceilometer record: the only records with an oslo envelope or a
    /// payload list.
    static func isCeilometer(_ line: [UInt8]) -> Bool {
        contains(line, #""oslo.message""#) || contains(line, #""payload""#)
    }

    /// Whether `needle` occurs in `line` (`ByteSearch`: glibc's `memmem`, no allocation, no
    /// slicing). Before, a `memchr` from each candidate first byte, per needle, which was
    /// ~2.8% of `tally rate`'s time (`perf`, 7 Dec 2026): a native sample has ~40 quotes.
    static func contains(_ line: [UInt8], _ needle: StaticString) -> Bool {
        line.withUnsafeBytes { ByteSearch.contains($0, needle) }
    }

    /// Splits file contents into lines of bytes (a `\n` ends each; it is not part of the line).
    public static func lines(of data: [UInt8]) -> [[UInt8]] {
        data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
    }
}
