import TallyCore
import TallyEngine
import TallyRuntime
import TallyWire

/// `tally verify`: replays a range with the rule-book version each frame names and
/// checks that every emitted frame reproduces bit for bit (same content hash), and that
/// the frames topic's hash chain is intact.
public struct FrameVerification {
    /// A frame that did not reproduce, or a break of the chain.
    public struct Problem: Sendable, CustomStringConvertible {
        public enum Kind: String, Sendable {
            /// The frame does not reproduce from the input and the rules it names.
            case notReproduced = "NOT REPRODUCED"
            /// The partition's hash chain is broken there.
            case chain = "CHAIN BROKEN"
            /// The revision sequence does not add up (numbering, previous price, delta).
            case revisions = "REVISIONS"
            /// A correction the rater did not emit for its command, or with other content.
            case correction = "CORRECTION"
            /// Not a readable frame.
            case unreadable = "UNREADABLE"
            /// A window of the input that the rater's clock has closed has no frame at all.
            case missing = "MISSING"
            /// A frames partition holds less than its anchor (a checkpoint, --expected-head) says.
            case tailLost = "TAIL LOST"
        }
        public var kind: Kind
        public var frameId: String
        public var revision: Int
        public var place: String
        public var detail: String
        public var description: String { "frame \(frameId) revision \(revision) (\(place)): \(detail)" }
        /// The finding as `verify` prints it: its kind, then the description.
        public var line: String { "\(kind.rawValue): \(description)" }
    }

    /// Frame ids of the range checked against the replay, and how many had no problem
    /// at all (reproduced, intact chain, consistent revisions and corrections).
    public private(set) var checked = 0
    public private(set) var reproduced = 0
    /// Correction revisions checked against their command, receipt and replay.
    public private(set) var correctionsChecked = 0
    /// Windows the replay closed that have no emitted frame yet (a live rater may still
    /// hold them open): reported, not failures.
    public private(set) var notYetEmitted: [String] = []
    public private(set) var problems: [Problem] = []
    /// The rule-book versions replayed (nil: the current book).
    public private(set) var versions: [Int64?] = []

    public var passed: Bool { problems.isEmpty }

    public init(config: ServiceConfig, metrics: MetricsConfig, request: ReplayRequest,
                expectedHeads: [StreamRater.ChainAnchor] = []) throws {
        let engine = try ReplayEngine.reading(config: config, metrics: metrics, since: request.from)
        try self.init(request: request, emitted: try EmittedFrames.read(config: config),
                      rules: try ReplayRuleSource(config: config), corrections: try CorrectionsLog.read(config: config),
                      anchors: Anchors(checkpoint: try FramesCheckpoint.read(config: config), expected: expectedHeads,
                                       graces: Dictionary(metrics.metrics.map { ($0.key, $0.grace) }, uniquingKeysWith: { a, _ in a }))) {
            try engine.latestFrames(pricer: $0)
        }
    }

    /// `replay` runs the engine with a pricer (once per rule-book version named).
    public init(request: ReplayRequest, emitted: EmittedFrames, rules: ReplayRuleSource,
                corrections: CorrectionsLog = CorrectionsLog(records: []), anchors: Anchors = Anchors(),
                replay: (WindowPricer) throws -> [String: FrameRecord]) throws {
        let rated = emitted.latestRated.filter { request.selects($0.value[0]) }
        let byVersion = Dictionary(grouping: rated.values, by: { $0[0].ruleBookVersion })
        versions = byVersion.keys.sorted { ($0 ?? -1) < ($1 ?? -1) }
        var anyReplay: [String: FrameRecord]?
        for version in versions {
            let pricer: WindowPricer
            do { pricer = try rules.pricer(for: version.map(ReplayRules.version) ?? .current).pricer } catch {
                // A version the log cannot reproduce fails its frames, not the whole check.
                for copies in byVersion[version]! {
                    checked += 1
                    problems.append(Problem(kind: .notReproduced, frameId: copies[0].frameId, revision: copies[0].revision,
                                            place: "partition \(copies[0].partition ?? -1) offset \(copies[0].offset ?? -1)",
                                            detail: "cannot rebuild the rule book it names: \(error)"))
                }
                continue
            }
            let replayed = try replay(pricer)
            if anyReplay == nil { anyReplay = replayed }
            for copies in byVersion[version]! {
                checked += 1
                for copy in copies {
                    if let detail = Self.mismatch(emitted: copy, replayed: replayed[copy.frameId]) {
                        problems.append(Problem(kind: .notReproduced, frameId: copy.frameId, revision: copy.revision,
                                                place: "partition \(copy.partition ?? -1) offset \(copy.offset ?? -1)", detail: detail))
                    }
                }
            }
        }
        // Every window of the input needs a frame: any replay has them all (rules change
        // prices, not windows); with no frame to name a version, the current book.
        let windows = try anyReplay ?? replay(try rules.pricer(for: .current).pricer)
        problems += anchors.missingWindows(windows, emitted: emitted, request: request, notYetEmitted: &notYetEmitted)
        problems += anchors.tailProblems(emitted)
        for b in emitted.chainBreaks() {
            problems.append(Problem(kind: .chain, frameId: b.frameId, revision: b.revision, place: "partition \(b.partition) offset \(b.offset)",
                                    detail: b.detail))
        }
        for m in emitted.malformed {
            problems.append(Problem(kind: .unreadable, frameId: "?", revision: 0, place: m, detail: "not a readable frame"))
        }
        let sequences = RevisionAudit.sequences(emitted)
        problems += RevisionAudit.sequenceProblems(sequences, request: request)
        let audited = try RevisionAudit.correctionProblems(sequences, corrections: corrections, request: request, rules: rules, replay: replay)
        correctionsChecked = audited.checked
        problems += audited.problems
        // A frame counts as verified only if nothing at all is wrong with it.
        let troubled = Set(problems.map(\.frameId))
        reproduced = rated.keys.filter { !troubled.contains($0) }.count
    }

    /// Why `emitted` does not reproduce from `replayed` (nil when it does). The
    /// revision and the previous price record emission history, not input and rules:
    /// they are taken from the emitted frame before hashing.
    /// Members that record emission history, not input and rules.
    /// `output_partition` too: where the frame was emitted (a hash of its scope for one
    /// rater, the task's input partition in group mode, docs/SCALE.md); the chain check
    /// holds it to the partition the frame was read from.
    static let historyKeys = ["revision", "previous_price", "price_delta", "output_partition"]

    static func mismatch(emitted: FrameRecord, replayed: FrameRecord?, keeping history: [String] = historyKeys) -> String? {
        guard let replayed else { return "the replay produced no such window" }
        if emitted.computedContentHash != emitted.contentHash {
            return "content_hash \(emitted.contentHash) is not the hash of the frame's own body (\(emitted.computedContentHash)): altered after sealing"
        }
        var expected = replayed.body
        for key in history { expected[key] = emitted.members[key] }
        let hash = SHA256.hex(CanonicalJSON.object(expected).bytes)
        guard hash != emitted.contentHash else { return nil }
        let body = emitted.body
        let differing = Set(body.keys).union(expected.keys).filter { body[$0] != expected[$0] }.sorted()
        // The same samples, recorded from another copy: when a sample was delivered twice
        // on different partitions, the copy folded first is the one whose offset the
        // lineage records, and that order depends on how the broker interleaved the
        // partitions. Same sample count and same digest of sample ids: it reproduces.
        if differing == ["lineage"], case let .object(a)? = body["lineage"], case let .object(b)? = expected["lineage"],
           a["sample_count"] == b["sample_count"], a["sample_digest"] == b["sample_digest"] {
            return nil
        }
        // In full: the differing part of a member (a digest, a price deep in the
        // explanation) can be anywhere in it.
        let shown = differing.map { key in
            "\(key): emitted \(body[key]?.text ?? "absent"), replay \(expected[key]?.text ?? "absent")"
        }
        return "content_hash \(emitted.contentHash), replay gives \(hash); differs in " + shown.joined(separator: "; ")
    }
}

extension FrameVerification {
    /// What anchors the frames chains for verify: the rater's latest checkpoint, the
    /// operator's `--expected-head`s, and each metric's grace (a window is closed once the
    /// clock passes its end plus grace).
    public struct Anchors {
        public var checkpoint: FramesCheckpoint?
        public var unreadable: [String] = []
        public var expected: [StreamRater.ChainAnchor] = []
        public var graces: [String: TimeSpan] = [:]

        public init(checkpoint: (FramesCheckpoint?, [String]) = (nil, []), expected: [StreamRater.ChainAnchor] = [],
                    graces: [String: TimeSpan] = [:]) {
            self.checkpoint = checkpoint.0; unreadable = checkpoint.1; self.expected = expected; self.graces = graces
        }

        /// Windows of the range the replay produced with no frame at all: a failure when
        /// the rater's checkpointed clock has passed their closing time, or when the frames
        /// topic holds no frame and no checkpoint (nothing was emitted); otherwise the
        /// rater may still hold them open, and they are counted.
        func missingWindows(_ replayed: [String: FrameRecord], emitted: EmittedFrames, request: ReplayRequest,
                            notYetEmitted: inout [String]) -> [Problem] {
            let latest = emitted.latest
            var problems: [Problem] = []
            for f in replayed.values.sorted(by: { $0.frameId < $1.frameId }) where request.selects(f) && latest[f.frameId] == nil {
                let place = "window \(f.windowStartText) \(f.metric) scope \(f.scope) resource \(f.resource)"
                var closes: EventTime?
                if case let .string(end)? = f.nested("window", "end"), let e = try? TimestampParser.parse(end) {
                    closes = e + (graces[f.metric] ?? TimeSpan(micros: 0))
                }
                if let clock = checkpoint?.clock, let closes, closes <= clock {
                    problems.append(Problem(kind: .missing, frameId: f.frameId, revision: 0, place: place,
                                            detail: "no frame, but the rater's clock (\(Timestamps.iso8601(clock)), checkpoint at offset "
                                                + "\(checkpoint!.offset)) passed its closing time \(Timestamps.iso8601(closes))"))
                } else if checkpoint == nil && emitted.records.isEmpty {
                    problems.append(Problem(kind: .missing, frameId: f.frameId, revision: 0, place: place,
                                            detail: "no frame: the frames topic holds no frame and there is no checkpoint"))
                } else {
                    notYetEmitted.append(f.frameId)
                }
            }
            return problems
        }

        /// Each anchor (the checkpoint's, then the operator's) against the partitions' chains.
        func tailProblems(_ emitted: EmittedFrames) -> [Problem] {
            var problems = unreadable.map { Problem(kind: .unreadable, frameId: "-", revision: 0, place: "checkpoints", detail: $0) }
            for a in checkpoint?.anchors ?? [] {
                if let p = emitted.anchorProblem(a, source: "the rater's checkpoint at offset \(checkpoint!.offset)") { problems.append(p) }
            }
            for a in expected {
                if let p = emitted.anchorProblem(a, source: "--expected-head") { problems.append(p) }
            }
            return problems
        }
    }
}
