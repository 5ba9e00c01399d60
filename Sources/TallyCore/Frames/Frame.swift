/// One rated window, as published on the frames topic (schemas/frame.schema.json).
///
/// `frameId` is derived from the window's identity only, so a window always gets
/// the same id (every revision and every resend share it). `contentHash` covers
/// every member except `content_hash` and `previous_hash`, so it depends only on
/// the input and the rules; `previousHash` chains frames per output partition.
public struct Frame: Sendable {
    public struct LineageRange: Equatable, Sendable {
        public var topic: String
        public var partition: Int32
        public var firstOffset: Int64
        public var lastOffset: Int64
        public var samples: Int64
        public init(topic: String, partition: Int32, firstOffset: Int64, lastOffset: Int64, samples: Int64) {
            self.topic = topic; self.partition = partition
            self.firstOffset = firstOffset; self.lastOffset = lastOffset; self.samples = samples
        }
    }

    /// What made a correction revision (`tally replay --apply`): the replay's
    /// deterministic id, who applied it and why. Absent on frames the rater emits.
    public struct Correction: Equatable, Sendable {
        public var replayId: String
        public var author: String
        public var reason: String
        public init(replayId: String, author: String, reason: String) {
            self.replayId = replayId; self.author = author; self.reason = reason
        }

        public var json: CanonicalJSON {
            .object(["replay_id": .string(replayId), "author": .string(author), "reason": .string(reason)])
        }
    }

    public enum Status: Equatable, Sendable {
        case rated
        case ratingFailed(String)
    }

    /// The `rating` member: the rater's explanation, written straight to bytes when the
    /// frame is sealed, or an already-built tree.
    public enum Rating: Sendable {
        case explanation(Explanation)
        case json(CanonicalJSON)

        public var json: CanonicalJSON {
            switch self {
            case .explanation(let e): return e.json
            case .json(let j): return j
            }
        }
    }

    public var frameId: String
    public var revision: Int
    public var metric: String
    public var service: String
    public var scopeKind: String
    public var scope: String
    public var projectId: String?
    public var userId: String?
    public var resourceId: String
    public var groupby: [String: CanonicalJSON]
    public var metadata: [String: CanonicalJSON]
    public var windowStart: EventTime
    public var windowEnd: EventTime
    public var quantity: ExactDecimal
    public var unit: String
    public var price: ExactDecimal
    public var previousPrice: ExactDecimal
    public var currency: String
    public var status: Status
    public var rating: Rating
    public var ruleBookVersion: Int64?
    public var ruleBookHash: String?
    public var lineage: [LineageRange]
    public var sampleCount: Int64
    public var sampleDigest: String
    public var engineVersion: String
    public var outputPartition: Int32
    /// Only on correction revisions; written only when present, so the hashes of
    /// ordinary frames do not change.
    public var correction: Correction?
    /// Set by `sealed(previousHash:)`.
    public var contentHash: String = ""
    public var previousHash: String = ""

    public init(frameId: String, revision: Int, metric: String, service: String, scopeKind: String, scope: String,
                projectId: String?, userId: String?, resourceId: String, groupby: [String: CanonicalJSON],
                metadata: [String: CanonicalJSON], windowStart: EventTime, windowEnd: EventTime,
                quantity: ExactDecimal, unit: String, price: ExactDecimal, previousPrice: ExactDecimal,
                currency: String, status: Status, rating: CanonicalJSON, ruleBookVersion: Int64?, ruleBookHash: String?,
                lineage: [LineageRange], sampleCount: Int64, sampleDigest: String, engineVersion: String,
                outputPartition: Int32) {
        self.frameId = frameId; self.revision = revision; self.metric = metric; self.service = service
        self.scopeKind = scopeKind; self.scope = scope; self.projectId = projectId; self.userId = userId
        self.resourceId = resourceId; self.groupby = groupby; self.metadata = metadata
        self.windowStart = windowStart; self.windowEnd = windowEnd; self.quantity = quantity; self.unit = unit
        self.price = price; self.previousPrice = previousPrice; self.currency = currency; self.status = status
        self.rating = .json(rating); self.ruleBookVersion = ruleBookVersion; self.ruleBookHash = ruleBookHash
        self.lineage = lineage; self.sampleCount = sampleCount; self.sampleDigest = sampleDigest
        self.engineVersion = engineVersion; self.outputPartition = outputPartition
    }

    /// The same, rated by the engine: the explanation is encoded with the frame.
    public init(frameId: String, revision: Int, metric: String, service: String, scopeKind: String, scope: String,
                projectId: String?, userId: String?, resourceId: String, groupby: [String: CanonicalJSON],
                metadata: [String: CanonicalJSON], windowStart: EventTime, windowEnd: EventTime,
                quantity: ExactDecimal, unit: String, price: ExactDecimal, previousPrice: ExactDecimal,
                currency: String, status: Status, explanation: Explanation, ruleBookVersion: Int64?, ruleBookHash: String?,
                lineage: [LineageRange], sampleCount: Int64, sampleDigest: String, engineVersion: String,
                outputPartition: Int32) {
        self.init(frameId: frameId, revision: revision, metric: metric, service: service, scopeKind: scopeKind, scope: scope,
                  projectId: projectId, userId: userId, resourceId: resourceId, groupby: groupby, metadata: metadata,
                  windowStart: windowStart, windowEnd: windowEnd, quantity: quantity, unit: unit, price: price,
                  previousPrice: previousPrice, currency: currency, status: status, rating: .null,
                  ruleBookVersion: ruleBookVersion, ruleBookHash: ruleBookHash, lineage: lineage, sampleCount: sampleCount,
                  sampleDigest: sampleDigest, engineVersion: engineVersion, outputPartition: outputPartition)
        self.rating = .explanation(explanation)
    }

    public static let schemaName = "tally.frame/1"

    /// The deterministic id of a window: 128 bits of SHA-256 over its identity.
    public static func id(metric: String, scopeKind: String, scope: String, resource: String,
                          groupby: [(String, String)], windowStart: EventTime) -> String {
        var h = SHA256()
        h.update(schemaName); h.update(byte: 0)
        h.update(metric); h.update(byte: 0)
        h.update(scopeKind); h.update(byte: 0)
        h.update(scope); h.update(byte: 0)
        h.update(resource); h.update(byte: 0)
        for (k, v) in groupby { h.update(k); h.update(byte: 0x3D); h.update(v); h.update(byte: 0) }
        hashDecimal(windowStart.micros, into: &h)
        return String(unsafeUninitializedCapacity: 32) { hex in
            h.writeHex(to: hex.baseAddress!, prefixBytes: 16)
            return 32
        }
    }

    /// Hashes `value`'s decimal text, written on the stack (`String(micros)` allocated).
    static func hashDecimal(_ value: Int64, into h: inout SHA256) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { text in
            var v = value.magnitude, at = 20
            repeat { at -= 1; text[at] = UInt8(truncatingIfNeeded: v % 10) + 48; v /= 10 } while v > 0
            if value < 0 { at -= 1; text[at] = UInt8(ascii: "-") }
            h.update(buffer: UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(text)[at...]))
        }
    }

    /// Every member but the two hashes, as canonical JSON.
    public var body: CanonicalJSON {
        var members: [String: CanonicalJSON] = [
            "schema": .string(Frame.schemaName),
            "frame_id": .string(frameId),
            "revision": .integer(Int64(revision)),
            "metric": .string(metric),
            "service": .string(service),
            "scope": .object(["kind": .string(scopeKind), "id": .string(scope)]),
            "project_id": projectId.map(CanonicalJSON.string) ?? .null,
            "user_id": userId.map(CanonicalJSON.string) ?? .null,
            "resource_id": .string(resourceId),
            "groupby": .object(groupby),
            "metadata": .object(metadata),
            "window": .object(["start": .string(Timestamps.iso8601(windowStart)),
                               "end": .string(Timestamps.iso8601(windowEnd))]),
            "quantity": .decimal(quantity),
            "unit": .string(unit),
            "price": .decimal(price),
            "previous_price": .decimal(previousPrice),
            "price_delta": .decimal(price - previousPrice),
            "currency": .string(currency),
            "rating": rating.json,
            "rule_book": .object(["version": ruleBookVersion.map(CanonicalJSON.integer) ?? .null,
                                  "hash": ruleBookHash.map(CanonicalJSON.string) ?? .null]),
            "lineage": .object([
                "ranges": .array(lineage.map { range in
                    .object(["topic": .string(range.topic), "partition": .integer(Int64(range.partition)),
                             "first_offset": .integer(range.firstOffset), "last_offset": .integer(range.lastOffset),
                             "samples": .integer(range.samples)])
                }),
                "sample_count": .integer(sampleCount),
                "sample_digest": .string(sampleDigest),
            ]),
            "engine_version": .string(engineVersion),
            "output_partition": .integer(Int64(outputPartition)),
        ]
        if let correction { members["correction"] = correction.json }
        switch status {
        case .rated: members["status"] = .string("rated")
        case let .ratingFailed(reason):
            members["status"] = .string("rating-failed")
            members["rating_error"] = .string(reason)
        }
        return .object(members)
    }

    /// The canonical encoding of `body`; `splicePoint` receives the offset of the
    /// `previous_price` member.
    func canonicalBody(splicePoint: inout Int) -> [UInt8] {
        var w = CanonicalWriter()
        splicePoint = writeBody(to: &w)
        return w.bytes
    }

    /// Writes the canonical encoding of `body` directly and returns the offset of the
    /// `previous_price` member.
    func writeBody(to w: inout CanonicalWriter) -> Int {
        w.open()
        let (cut, _) = writeMembers(to: &w, previousHash: nil)
        return cut + 1
    }

    /// Writes the body's members (the caller opened the object) and closes it. With a
    /// `previousHash`, its member goes in at its canonical place, just before
    /// `previous_price`: returns where it starts and ends (at the commas before it and
    /// after it; both the same without it). Keys then values, no closures: a closure
    /// capturing `self` copied the whole frame (a retain per string) for every member.
    func writeMembers(to w: inout CanonicalWriter, previousHash: String?) -> (cut: Int, resume: Int) {
        // "correction" sorts after "content_hash" (spliced in front) and before "currency".
        if let correction { w.key("correction"); w.json(correction.json) }
        w.key("currency"); w.string(currency)
        w.key("engine_version"); w.string(engineVersion)
        w.key("frame_id"); w.string(frameId)
        w.key("groupby"); w.object(groupby)
        w.key("lineage"); w.open()
        w.key("ranges"); w.openArray()
        for r in lineage {
            w.element(); w.open()
            w.key("first_offset"); w.integer(r.firstOffset)
            w.key("last_offset"); w.integer(r.lastOffset)
            w.key("partition"); w.integer(Int64(r.partition))
            w.key("samples"); w.integer(r.samples)
            w.key("topic"); w.string(r.topic)
            w.close()
        }
        w.closeArray()
        w.key("sample_count"); w.integer(sampleCount)
        w.key("sample_digest"); w.string(sampleDigest)
        w.close()
        w.key("metadata"); w.object(metadata)
        w.key("metric"); w.string(metric)
        w.key("output_partition"); w.integer(Int64(outputPartition))
        let cut = w.count
        if let previousHash { w.key("previous_hash"); w.string(previousHash) }
        let resume = w.count
        w.key("previous_price"); w.decimal(previousPrice)
        w.key("price"); w.decimal(price)
        w.key("price_delta"); w.decimal(price - previousPrice)
        w.key("project_id"); w.string(projectId)
        w.key("quantity"); w.decimal(quantity)
        w.key("rating")
        switch rating {
        case .explanation(let e): e.write(to: &w)
        case .json(let j): w.json(j)
        }
        if case let .ratingFailed(reason) = status { w.key("rating_error"); w.string(reason) }
        w.key("resource_id"); w.string(resourceId)
        w.key("revision"); w.integer(Int64(revision))
        w.key("rule_book"); w.open()
        w.key("hash"); w.string(ruleBookHash)
        w.key("version"); if let v = ruleBookVersion { w.integer(v) } else { w.null() }
        w.close()
        w.key("schema"); w.string(Frame.schemaName)
        w.key("scope"); w.open()
        w.key("id"); w.string(scope)
        w.key("kind"); w.string(scopeKind)
        w.close()
        w.key("service"); w.string(service)
        w.key("status"); if case .rated = status { w.string("rated") } else { w.string("rating-failed") }
        w.key("unit"); w.string(unit)
        w.key("user_id"); w.string(userId)
        w.key("window"); w.open()
        w.key("end"); w.timestamp(windowEnd)
        w.key("start"); w.timestamp(windowStart)
        w.close()
        w.close()
        return (cut, resume)
    }
}
