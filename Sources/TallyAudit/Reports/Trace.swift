import Foundation
import TallyCore
import TallyRuntime
import TallyWire

/// Everything behind one frame (`tally trace`): its revisions, the samples that fed
/// it fetched back from Kafka through the lineage, the rule events that priced it,
/// and the arithmetic. Built from the topics only, so anyone with read access can
/// check a bill without the rater's state.
public struct FrameTrace: Sendable {
    /// One sample read back from an input topic.
    public struct TracedSample: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        public var timestamp: EventTime
        public var volume: ExactDecimal
        /// The sample's 128-bit identity (`SampleKey`) as 8-4-4-4-12 hex: the UUID itself
        /// for UUID ids, otherwise a hash of the id.
        public var sampleID: String
        public var key: SampleKey
        /// What the rater deduplicates and digests: the sample's content (`SampleDigest.contentKey`).
        public var content: SampleKey
    }

    /// A rule named in the explanation, with the accepted events that touched it.
    public struct RuleTrail: Sendable {
        public var ruleID: String
        public var events: [RuleAuditEntry]
    }

    public var frameID: String
    /// Every distinct revision, oldest first (the canonical JSON as published).
    public var revisions: [[UInt8]]
    public var samples: [TracedSample]
    /// Samples of the lineage ranges that appeared more than once (producer retries): shown once.
    public var duplicateSamples: Int
    /// What could not be read or decoded back (records gone, unknown topics, bad records).
    public var problems: [String]
    public var rules: [RuleTrail]

    /// The latest revision, parsed.
    public var latest: [String: Any] { Self.object(revisions.last ?? []) }

    /// The digest of the traced samples' content keys, computed as the rater does (docs/FRAMES.md).
    public var recomputedDigest: String { SampleDigest.hex(samples.map(\.content)) }

    /// Gathers the trace of `frameID` from the topics named in `config`; the rule events from
    /// `rules` when the caller already has the fold (`tally serve`), else from the rule log;
    /// the frame's revisions from `revisions` when the caller has them (the frame index,
    /// which keeps the first copy of each, as this scan does), else from the frames topic.
    /// Throws when the frame is not on the frames topic.
    public static func collect(frameID: String, config: ServiceConfig, rules: RuleLogState? = nil,
                               revisions known: [[UInt8]]? = nil) throws -> FrameTrace {
        var byRevision: [Int: [UInt8]] = [:]
        if let known {
            for bytes in known {
                if let revision = object(bytes)["revision"] as? Int, byRevision[revision] == nil { byRevision[revision] = bytes }
            }
        } else {
            let needle = Array("\"frame_id\":\"\(frameID)\"".utf8)
            // Streamed: only the traced frame's revisions are copied out of the frames topic.
            try PartitionReader.forEachRecord(of: config.framesTopic, bootstrapServers: config.bootstrapServers) { _, _, value in
                guard value.firstRange(of: needle) != nil else { return }
                let bytes = Array(value)
                if let revision = object(bytes)["revision"] as? Int, byRevision[revision] == nil { byRevision[revision] = bytes }
            }
        }
        guard !byRevision.isEmpty else {
            throw TraceError("frame \(frameID) is not on \(config.framesTopic) at \(config.bootstrapServers)")
        }
        var trace = FrameTrace(frameID: frameID, revisions: byRevision.sorted { $0.key < $1.key }.map(\.value),
                               samples: [], duplicateSamples: 0, problems: [], rules: [])
        try trace.fetchSamples(config: config)
        try trace.fetchRules(config: config, state: rules)
        return trace
    }

    private mutating func fetchSamples(config: ServiceConfig) throws {
        let frame = latest
        let window = frame["window"] as? [String: Any] ?? [:]
        guard let start = (window["start"] as? String).flatMap({ try? TimestampParser.parse($0) }),
              let end = (window["end"] as? String).flatMap({ try? TimestampParser.parse($0) }) else {
            problems.append("the frame has no readable window"); return
        }
        let metric = frame["metric"] as? String ?? "", resource = frame["resource_id"] as? String ?? ""
        // Every revision's ranges: a late sample may have been read from a later offset.
        var ranges = Set<OffsetRangeReader.Range>()
        for bytes in revisions {
            let lineage = Self.object(bytes)["lineage"] as? [String: Any]
            for r in lineage?["ranges"] as? [[String: Any]] ?? [] {
                guard let topic = r["topic"] as? String, let p = r["partition"] as? Int,
                      let first = r["first_offset"] as? Int, let last = r["last_offset"] as? Int else { continue }
                ranges.insert(.init(topic: topic, partition: Int32(p), first: Int64(first), last: Int64(last)))
            }
        }
        let records = try OffsetRangeReader.read(Array(ranges), bootstrapServers: config.bootstrapServers)
        let symbols = SymbolTable()
        var decoders: [String: SampleDecoder] = [:]
        var seen = Set<SampleKey>(), seenRecords = Set<String>()
        for range in ranges.sorted(by: { ($0.topic, $0.partition, $0.first) < ($1.topic, $1.partition, $1.first) }) {
            guard let input = config.inputs.first(where: { $0.topic == range.topic }),
                  let format = InputFormat(rawValue: input.format.rawValue) else {
                problems.append("\(range.topic) is not an input of this configuration: its format is unknown"); continue
            }
            let decoder = decoders[range.topic] ?? SampleDecoder(format: format, symbols: symbols)
            decoders[range.topic] = decoder
            let got = records[range] ?? []
            if got.isEmpty {
                problems.append("\(range.topic)[\(range.partition)] offsets \(range.first)…\(range.last): records missing (retention?)")
            }
            for record in got where seenRecords.insert("\(range.topic)/\(record.partition)/\(record.offset)").inserted {
                var found: [TracedSample] = []
                do {
                    _ = try record.value.withUnsafeBytes { buffer in
                        try decoder.decode(buffer, emit: { s in
                            guard s.timestamp >= start, s.timestamp < end, symbols.string(s.metric) == metric,
                                  symbols.string(s.resource) == resource else { return }
                            found.append(TracedSample(topic: range.topic, partition: record.partition, offset: record.offset,
                                                      timestamp: s.timestamp, volume: s.volume,
                                                      sampleID: SampleDigest.uuidText(s.key), key: s.key,
                                                      content: SampleDigest.contentKey(of: s, in: symbols)))
                        }, reject: { _ in })
                    }
                } catch {
                    problems.append("\(range.topic)[\(record.partition)] offset \(record.offset) does not decode: \(error)")
                }
                // As the rater does: a copy under the same id or with the same content counts once.
                for s in found {
                    if seen.insert(s.key).inserted && seen.insert(s.content).inserted { samples.append(s) } else { duplicateSamples += 1 }
                }
            }
        }
        samples.sort { ($0.timestamp, $0.topic, $0.partition, $0.offset) < ($1.timestamp, $1.topic, $1.partition, $1.offset) }
    }

    private mutating func fetchRules(config: ServiceConfig, state known: RuleLogState?) throws {
        let ids = Self.ruleIDs(inRating: latest["rating"])
        guard !ids.isEmpty else { return }
        let state = try known ?? RuleLogClient(config: config).readState()
        rules = ids.map { RuleTrail(ruleID: $0, events: state.auditTrail(ruleID: $0)) }
    }

    /// The rule ids an explanation names (mappings, thresholds, tier schedules, scripts), in order, once each.
    public static func ruleIDs(inRating rating: Any?) -> [String] {
        var ids: [String] = []
        func add(_ id: String?) { if let id, !id.isEmpty, !ids.contains(id) { ids.append(id) } }
        for module in rating as? [[String: Any]] ?? [] {
            for group in module["groups"] as? [[String: Any]] ?? [] {
                for m in group["mappings"] as? [String] ?? [] { add(m) }
                add((group["threshold"] as? [String: Any])?["id"] as? String)
            }
            add((module["tier"] as? [String: Any])?["id"] as? String)
            for s in module["scripts"] as? [String] ?? [] { add(s) }
        }
        return ids
    }

    static func object(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }
}

/// A trace that cannot be made, with the reason.
public struct TraceError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension FrameTrace {
    /// Whether the samples read back are exactly the frame's: same count, same digest.
    public var lineageMatches: Bool {
        let lineage = latest["lineage"] as? [String: Any] ?? [:]
        return samples.count == lineage["sample_count"] as? Int && recomputedDigest == lineage["sample_digest"] as? String
    }
}
