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
        // Frames are taken as they close, not through the outbox: nothing is sent, and
        // an outbox entry would copy each frame into the memory store. Only their bytes:
        // a frame sink would also build each frame's `Frame` value.
        var closed: [[UInt8]] = []
        rater.frameRecordSink = { bytes in closed.append(bytes) }
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
        sent += try rater.commitBatch(wallNow: wallNow, endOfInput: true)
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
    /// payload list. Both keys are looked for in one pass (`containsEither`).
    static func isCeilometer(_ line: [UInt8]) -> Bool {
        containsEither(line, #""oslo.message""#, #""payload""#)
    }

    /// Whether `needle` occurs in `line`.
    static func contains(_ line: [UInt8], _ needle: StaticString) -> Bool {
        containsEither(line, needle, needle)
    }

    /// Whether `a` or `b` occurs in `line`; both start with the same byte. No allocation, no
    /// slicing, one pass: the line is read eight bytes at a time for that first byte (a
    /// word's bytes equal to it found with the zero-byte bit trick), and each candidate's
    /// next eight bytes are compared with each needle's first eight as one word before any
    /// `memcmp`. Before, `memchr` from each candidate, once per needle: a native sample has
    /// ~40 quotes, and the two scans with their call per quote were ~2.8% of `tally rate`'s
    /// time (`perf`, 7 Dec 2026, session 31). The trick can flag a byte that is not the first
    /// byte (after a true one in the same word); the compare rejects it.
    static func containsEither(_ line: [UInt8], _ a: StaticString, _ b: StaticString) -> Bool {
        precondition(a.utf8CodeUnitCount > 0 && b.utf8CodeUnitCount > 0 && a.utf8Start.pointee == b.utf8Start.pointee)
        let headA = NeedleHead(a), headB = NeedleHead(b)
        let both = a.utf8Start != b.utf8Start
        return line.withUnsafeBytes { hay in
            guard let base = hay.baseAddress else { return false }
            let count = hay.count
            func startsAt(_ i: Int, _ needle: StaticString) -> Bool {
                let n = needle.utf8CodeUnitCount
                return i + n <= count && memcmp(base + i, needle.utf8Start, n) == 0
            }
            // Nearly every candidate is another quote: one word and two masked compares reject it.
            @inline(__always) func matchAt(_ i: Int) -> Bool {
                if i + 8 <= count {
                    let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    let maybeA = word & headA.mask == headA.bits, maybeB = both && word & headB.mask == headB.bits
                    if !maybeA && !maybeB { return false }
                    return (maybeA && startsAt(i, a)) || (maybeB && startsAt(i, b))
                }
                return startsAt(i, a) || (both && startsAt(i, b))
            }
            let first = a.utf8Start.pointee
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            let pattern = ones &* UInt64(first)
            var i = 0
            while i + 8 <= count {
                let x = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ pattern
                var flagged = (x &- ones) & ~x & highs  // the high bit of each byte that may equal `first`
                while flagged != 0 {
                    if matchAt(i + flagged.trailingZeroBitCount / 8) { return true }
                    flagged &= flagged &- 1
                }
                i += 8
            }
            while i < count {
                if base.load(fromByteOffset: i, as: UInt8.self) == first, matchAt(i) { return true }
                i += 1
            }
            return false
        }
    }

    /// A needle's first (up to) eight bytes as a little-endian word, and the mask of the bytes
    /// it has: a candidate whose next eight bytes differ there cannot start the needle.
    private struct NeedleHead {
        var bits: UInt64 = 0, mask: UInt64 = 0
        init(_ needle: StaticString) {
            for k in 0..<min(8, needle.utf8CodeUnitCount) {
                bits |= UInt64(needle.utf8Start[k]) << (8 * k)
                mask |= 0xFF << (8 * k)
            }
        }
    }

    /// Splits file contents into lines of bytes (a `\n` ends each; it is not part of the line).
    public static func lines(of data: [UInt8]) -> [[UInt8]] {
        data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
    }
}
