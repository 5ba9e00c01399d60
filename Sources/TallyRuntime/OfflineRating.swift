import Foundation
import TallyCore
import TallyEngine
import TallyWire

/// `tally rate`: folds sample files into windows exactly as the rater does (same
/// engine, a memory store), closes every window at the end of the input and
/// returns the frames. Each file is one input; each line one record, whose
/// lineage is the file and its line number (offset = line − 1).
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

    public init(metrics: MetricsConfig, pricer: WindowPricer, files: [(name: String, lines: [String])],
                wallNow: EventTime = WallClock.now()) throws {
        var inputs: [EngineSettings.Input] = []
        for file in files {
            inputs.append(.init(topic: file.name, format: .nativeOrCloudEvents))
            inputs.append(.init(topic: file.name + "#ceilometer", format: .ceilometer))
        }
        let rater = try StreamRater(settings: EngineSettings(inputs: inputs, framesPartitions: 1),
                                    metrics: metrics, pricer: pricer, store: MemoryStateStore())
        _ = try rater.restore(wallNow: wallNow)
        var sent: [OutgoingMessage] = []
        for file in files {
            for (i, line) in file.lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                // Ceilometer's records are the only ones with an oslo envelope or a payload list.
                let ceilometer = line.contains("\"oslo.message\"") || line.contains("\"payload\"")
                var bytes = Array(line.utf8)
                bytes.withUnsafeMutableBytes { raw in
                    rater.fold(InputRecord(topic: ceilometer ? file.name + "#ceilometer" : file.name, partition: 0,
                                           offset: Int64(i), key: nil, value: UnsafeRawBufferPointer(raw)), wallNow: wallNow)
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
}
