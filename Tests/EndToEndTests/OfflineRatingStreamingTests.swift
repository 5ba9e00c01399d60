import Foundation
import Testing
import TallyCore
import TallyEngine
import TallyRuntime
import TallySeededRandom
import TallyWire
@testable import TallyRater

/// `OfflineRating` closes the input's last windows without writing them to the store, keeps
/// no undo log, and can hand each frame to a sink instead of keeping it. Held against the
/// general path it replaced (a rolling-back store, a commit with `endOfInput`, every frame
/// kept) on random sample files: late and out-of-order samples, repeated and conflicting ids,
/// counters and a tier-priced service (whose later windows are priced again), bad and blank
/// lines, one to three files. The frames (bytes and order), dead letters and counters agree.
@Suite struct OfflineRatingStreamingTests {
    static let seed: UInt64 = 0x0FF1_11E5
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let wallNow = EventTime(micros: 1_793_664_000_000_000)  // 2026-11-03T00:00:00Z, after every sample

    /// The general path, as `OfflineRating` ran before: frames, dead letters as (file, offset, reason), counters.
    static func reference(metrics: MetricsConfig, pricer: WindowPricer, files: [(name: String, lines: [[UInt8]])]) throws
        -> (frames: [[UInt8]], deadLetters: [String], counters: Counters) {
        var inputs: [EngineSettings.Input] = []
        for file in files {
            inputs.append(.init(topic: file.name, format: .nativeOrCloudEvents, decoding: DecoderOptions(), unknownMeters: .deadLetter))
            inputs.append(.init(topic: file.name + "#ceilometer", format: .ceilometer, decoding: DecoderOptions(),
                                unknownMeters: .deadLetter))
        }
        let rater = try StreamRater(settings: EngineSettings(inputs: inputs, framesPartitions: 1),
                                    metrics: metrics, pricer: pricer, store: MemoryStateStore())
        _ = try rater.restore(wallNow: wallNow)
        var frames: [[UInt8]] = []
        rater.frameRecordSink = { frames.append($0) }
        var sent: [OutgoingMessage] = []
        for file in files {
            let blank = file.lines.map { $0.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }
            let topics = file.lines.indices.map { i -> String in
                OfflineRating.isCeilometer(file.lines[i]) ? file.name + "#ceilometer" : file.name
            }
            for pass in rater.needsPreview ? [true, false] : [false] {
                for (i, line) in file.lines.enumerated() where !blank[i] {
                    line.withUnsafeBytes { raw in
                        let record = InputRecord(topic: topics[i], partition: 0, offset: Int64(i), key: nil, value: raw)
                        if pass { rater.preview(record, wallNow: wallNow) } else { rater.fold(record, wallNow: wallNow) }
                    }
                }
            }
            sent += try rater.commitBatch(wallNow: wallNow)
        }
        sent += try rater.commitBatch(wallNow: wallNow, endOfInput: true)
        let deadLetters = sent.filter { $0.topic == "tally.deadletter" }.map { letter -> String in
            let object = (try? JSONSerialization.jsonObject(with: Data(letter.value)) as? [String: Any]) ?? [:]
            let source = object["source"] as? [String: Any] ?? [:]
            let file = (source["topic"] as? String ?? "").replacingOccurrences(of: "#ceilometer", with: "")
            return "\(file):\((source["offset"] as? Int ?? -1) + 1): \(object["reason"] as? String ?? "")"
        }
        return (frames, deadLetters, rater.counters)
    }

    /// A native sample line; `rng` picks the meter, resource, time (hours 0–5 of 2 Nov, in
    /// any order, so windows close and later samples for them are late) and id (from a
    /// pool, so some ids repeat with other content).
    static func sampleLine(_ rng: inout SplitMix64) -> String {
        let hour = rng.next(6), minute = rng.next(60)
        let time = "2026-11-02T0\(hour):\(minute < 10 ? "0" : "")\(minute):00Z"
        let resource = "vm-\(rng.next(3))", project = ["aurora", "borealis"][rng.next(2)]
        let id = "id-\(rng.next(400))"
        switch rng.next(10) {
        case 0..<4:
            let flavor = ["m1.small", "m1.large", "m1.tiny"][rng.next(3)]
            return #"{"id":"\#(id)","metric":"instance","type":"gauge","unit":"instance","volume":1,"timestamp":"\#(time)","project_id":"\#(project)","user_id":"alice","resource_id":"\#(resource)","metadata":{"flavor_name":"\#(flavor)"}}"#
        case 4..<6:
            return #"{"id":"\#(id)","metric":"volume.size","type":"gauge","unit":"GiB","volume":\#(10 * (1 + rng.next(5))),"timestamp":"\#(time)","project_id":"\#(project)","user_id":"alice","resource_id":"vol-\#(rng.next(2))","metadata":{"volume_type":"SSD_gold"}}"#
        case 6..<9:
            let bytes = (hour * 60 + minute) * 1_073_741_824 / 7
            return #"{"id":"\#(id)","metric":"network.outgoing.bytes","type":"cumulative","unit":"B","volume":\#(bytes),"timestamp":"\#(time)","project_id":"\#(project)","user_id":"alice","resource_id":"\#(resource)","metadata":{}}"#
        default:
            return ["", "   ", "{not json", #"{"id":"x","metric":"instance","volume":-1}"#][rng.next(4)]
        }
    }

    @Test func theStreamedAndKeptFramesMatchTheGeneralPath() throws {
        print("OfflineRatingStreamingTests: random files from seed \(Self.seed)")
        let metrics = try MetricsConfigLoader.load(contentsOf: Self.fixtures.appendingPathComponent("metrics.yaml").path)
        let pricer = try PricerFactory.make(rulesFile: Self.fixtures.appendingPathComponent("rules.yaml").path)
        var rng = SplitMix64(seed: Self.seed)
        var framesSeen = 0, revisionsSeen = 0, deadLettersSeen = 0
        for round in 0..<60 {
            let files = (0...rng.next(3)).map { n -> (name: String, lines: [[UInt8]]) in
                var lines: [[UInt8]] = []
                for _ in 0..<rng.int(1...40) {
                    // One line in ten repeats an earlier one: a duplicate, or a late copy after its window closed.
                    lines.append(!lines.isEmpty && rng.next(10) == 0 ? lines[rng.next(lines.count)] : Array(Self.sampleLine(&rng).utf8))
                }
                return ("f\(n).jsonl", lines)
            }
            let expected = try Self.reference(metrics: metrics, pricer: pricer, files: files)
            let kept = try OfflineRating(metrics: metrics, pricer: pricer, files: files, wallNow: Self.wallNow)
            var streamed: [[UInt8]] = []
            let sunk = try OfflineRating(metrics: metrics, pricer: pricer, files: files, wallNow: Self.wallNow,
                                         frameSink: { streamed.append($0) })
            let context = "seed \(Self.seed), round \(round)"
            // Compared as a Bool: a failure names the first frame that differs, not every byte.
            func firstDifference(_ frames: [[UInt8]]) -> String {
                let i = frames.indices.first { $0 >= expected.frames.count || frames[$0] != expected.frames[$0] } ?? frames.count
                return "\(frames.count) frames against \(expected.frames.count), first difference at \(i)"
            }
            let keptAgree = kept.frames == expected.frames, streamedAgree = streamed == expected.frames
            #expect(keptAgree, "\(context): kept frames: \(firstDifference(kept.frames))")
            #expect(streamedAgree, "\(context): streamed frames: \(firstDifference(streamed))")
            #expect(sunk.frames.isEmpty, "\(context): a sink's frames are not kept")
            #expect(kept.counters == expected.counters && sunk.counters == expected.counters, "\(context): counters")
            let problems = kept.problems.map { "\($0.file):\($0.line): \($0.reason)" }
            #expect(problems == expected.deadLetters, "\(context): dead letters")
            #expect(sunk.problems.map { "\($0.file):\($0.line): \($0.reason)" } == problems, "\(context): dead letters with a sink")
            framesSeen += expected.frames.count
            revisionsSeen += Int(expected.counters.framesRevised)
            deadLettersSeen += expected.deadLetters.count
        }
        // The cases the comparison is for occur: revisions (late samples, re-priced tiers) and dead letters.
        print("OfflineRatingStreamingTests: \(framesSeen) frames, \(revisionsSeen) revisions, \(deadLettersSeen) dead letters")
        #expect(framesSeen > 500 && revisionsSeen > 20 && deadLettersSeen > 50,
                "frames \(framesSeen), revisions \(revisionsSeen), dead letters \(deadLettersSeen)")
    }
}
