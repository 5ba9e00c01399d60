import Foundation
import TallyCore
import TallyEngine
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

    public var frames: [[UInt8]] = []
    public var problems: [Problem] = []
    public var counters = Counters()

    /// - Parameters:
    ///   - decoding, unknownMeters: the policies of a `kafka.inputs[]` entry, applied to every file.
    public init(metrics: MetricsConfig, pricer: WindowPricer, files: [(name: String, lines: [[UInt8]])],
                decoding: DecoderOptions = DecoderOptions(), unknownMeters: UnknownMeterPolicy = .deadLetter,
                wallNow: EventTime = WallClock.now()) throws {
        var inputs: [EngineSettings.Input] = []
        for file in files {
            inputs.append(.init(topic: file.name, format: .nativeOrCloudEvents, decoding: decoding, unknownMeters: unknownMeters))
            inputs.append(.init(topic: file.name + "#ceilometer", format: .ceilometer, decoding: decoding,
                                unknownMeters: unknownMeters))
        }
        let rater = try StreamRater(settings: EngineSettings(inputs: inputs, framesPartitions: 1),
                                    metrics: metrics, pricer: pricer, store: MemoryStateStore())
        _ = try rater.restore(wallNow: wallNow)
        var sent: [OutgoingMessage] = []
        for file in files {
            // Each file is one batch; the first is previewed, as the rater previews its first batch.
            let passes: [(InputRecord) -> Void] = rater.needsPreview
                ? [{ rater.preview($0, wallNow: wallNow) }, { rater.fold($0, wallNow: wallNow) }]
                : [{ rater.fold($0, wallNow: wallNow) }]
            for pass in passes {
                for (i, line) in file.lines.enumerated() where !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                    // Ceilometer's records are the only ones with an oslo envelope or a payload list.
                    let ceilometer = Self.contains(line, "\"oslo.message\"") || Self.contains(line, "\"payload\"")
                    var bytes = line
                    bytes.withUnsafeMutableBytes { raw in
                        pass(InputRecord(topic: ceilometer ? file.name + "#ceilometer" : file.name, partition: 0,
                                         offset: Int64(i), key: nil, value: UnsafeRawBufferPointer(raw)))
                    }
                }
            }
            sent += try rater.commitBatch(wallNow: wallNow)
        }
        sent += try rater.commitBatch(wallNow: wallNow, endOfInput: true)
        frames = sent.filter { $0.topic == "tally.frames" }.map(\.value)
        for letter in sent where letter.topic == "tally.deadletter" {
            guard let object = try? JSONSerialization.jsonObject(with: Data(letter.value)) as? [String: Any],
                  let source = object["source"] as? [String: Any] else { continue }
            let topic = (source["topic"] as? String ?? "").replacingOccurrences(of: "#ceilometer", with: "")
            problems.append(Problem(file: topic, line: (source["offset"] as? Int ?? -1) + 1,
                                    reason: object["reason"] as? String ?? "", detail: object["detail"] as? String ?? ""))
        }
        counters = rater.counters
    }

    static func contains(_ line: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard line.count >= needle.count else { return false }
        return (0...(line.count - needle.count)).contains { line[$0] == needle[0] && line[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// Splits file contents into lines of bytes (a `\n` ends each; it is not part of the line).
    public static func lines(of data: [UInt8]) -> [[UInt8]] {
        data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
    }
}
