import TallyCore
import TallyEngine
import TallyWire

/// `tally verify`: replays a range with the rule-book version each frame names and
/// checks that every emitted frame reproduces bit for bit (same content hash), and that
/// the frames topic's hash chain is intact.
public struct FrameVerification {
    /// A frame that did not reproduce, or a break of the chain.
    public struct Problem: Sendable, CustomStringConvertible {
        public var frameId: String
        public var revision: Int
        public var place: String
        public var detail: String
        public var description: String { "frame \(frameId) revision \(revision) (\(place)): \(detail)" }
    }

    /// Frames of the range checked against the replay, and how many reproduced.
    public private(set) var checked = 0
    public private(set) var reproduced = 0
    /// Windows the replay closed that have no emitted frame yet (a live rater may still
    /// hold them open): reported, not failures.
    public private(set) var notYetEmitted: [String] = []
    public private(set) var problems: [Problem] = []
    /// The rule-book versions replayed (nil: the current book).
    public private(set) var versions: [Int64?] = []

    public var passed: Bool { problems.isEmpty }

    public init(config: ServiceConfig, metrics: MetricsConfig, request: ReplayRequest) throws {
        let engine = ReplayEngine(config: config, metrics: metrics, inputs: try ReplayEngine.readInputs(config: config, metrics: metrics, since: request.from))
        try self.init(request: request, emitted: try EmittedFrames.read(config: config),
                      rules: try ReplayRuleSource(config: config)) { try engine.run(pricer: $0) }
    }

    /// `replay` runs the engine with a pricer (once per rule-book version named).
    public init(request: ReplayRequest, emitted: EmittedFrames, rules: ReplayRuleSource,
                replay: (WindowPricer) throws -> [String: FrameRecord]) throws {
        let rated = emitted.latestRated.filter { request.selects($0.value[0]) }
        let byVersion = Dictionary(grouping: rated.values, by: { $0[0].ruleBookVersion })
        versions = byVersion.keys.sorted { ($0 ?? -1) < ($1 ?? -1) }
        var replayedIds = Set<String>()
        for version in versions {
            let pricer: WindowPricer
            do { pricer = try rules.pricer(for: version.map(ReplayRules.version) ?? .current).pricer } catch {
                // A version the log cannot reproduce fails its frames, not the whole check.
                for copies in byVersion[version]! {
                    checked += 1
                    problems.append(Problem(frameId: copies[0].frameId, revision: copies[0].revision,
                                            place: "partition \(copies[0].partition ?? -1) offset \(copies[0].offset ?? -1)",
                                            detail: "cannot rebuild the rule book it names: \(error)"))
                }
                continue
            }
            let replayed = try replay(pricer)
            for copies in byVersion[version]! {
                checked += 1
                replayedIds.insert(copies[0].frameId)
                var allGood = true
                for copy in copies {
                    if let detail = Self.mismatch(emitted: copy, replayed: replayed[copy.frameId]) {
                        allGood = false
                        problems.append(Problem(frameId: copy.frameId, revision: copy.revision,
                                                place: "partition \(copy.partition ?? -1) offset \(copy.offset ?? -1)", detail: detail))
                    }
                }
                if allGood { reproduced += 1 }
            }
            for f in replayed.values where request.selects(f) && version == nil && emitted.latest[f.frameId] == nil {
                notYetEmitted.append(f.frameId)
            }
        }
        for b in emitted.chainBreaks() {
            problems.append(Problem(frameId: b.frameId, revision: b.revision, place: "partition \(b.partition) offset \(b.offset)",
                                    detail: "hash chain: \(b.detail)"))
        }
        for m in emitted.malformed {
            problems.append(Problem(frameId: "?", revision: 0, place: m, detail: "not a readable frame"))
        }
    }

    /// Why `emitted` does not reproduce from `replayed` (nil when it does). The
    /// revision and the previous price record emission history, not input and rules:
    /// they are taken from the emitted frame before hashing.
    static func mismatch(emitted: FrameRecord, replayed: FrameRecord?) -> String? {
        guard let replayed else { return "the replay produced no such window" }
        if emitted.computedContentHash != emitted.contentHash {
            return "content_hash \(emitted.contentHash) is not the hash of the frame's own body (\(emitted.computedContentHash)): altered after sealing"
        }
        var expected = replayed.body
        for key in ["revision", "previous_price", "price_delta"] { expected[key] = emitted.members[key] }
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
        let shown = differing.prefix(4).map { key in
            "\(key): emitted \(body[key].map { String($0.text.prefix(80)) } ?? "absent"), replay \(expected[key].map { String($0.text.prefix(80)) } ?? "absent")"
        }
        return "content_hash \(emitted.contentHash), replay gives \(hash); differs in " + shown.joined(separator: "; ")
    }
}
