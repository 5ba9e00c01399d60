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

    public enum Status: Equatable, Sendable {
        case rated
        case ratingFailed(String)
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
    public var rating: CanonicalJSON
    public var ruleBookVersion: Int64?
    public var ruleBookHash: String?
    public var lineage: [LineageRange]
    public var sampleCount: Int64
    public var sampleDigest: String
    public var engineVersion: String
    public var outputPartition: Int32
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
        self.rating = rating; self.ruleBookVersion = ruleBookVersion; self.ruleBookHash = ruleBookHash
        self.lineage = lineage; self.sampleCount = sampleCount; self.sampleDigest = sampleDigest
        self.engineVersion = engineVersion; self.outputPartition = outputPartition
    }

    public static let schemaName = "tally.frame/1"

    /// The deterministic id of a window: 128 bits of SHA-256 over its identity.
    public static func id(metric: String, scopeKind: String, scope: String, resource: String,
                          groupby: [(String, String)], windowStart: EventTime) -> String {
        var h = SHA256()
        for part in [schemaName, metric, scopeKind, scope, resource] { h.update(part); h.update(CollectionOfOne(UInt8(0))) }
        for (k, v) in groupby { h.update(k); h.update(CollectionOfOne(UInt8(0x3D))); h.update(v); h.update(CollectionOfOne(UInt8(0))) }
        h.update(String(windowStart.micros))
        return Hex.encode(h.finalize().prefix(16))
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
            "rating": rating,
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
        switch status {
        case .rated: members["status"] = .string("rated")
        case let .ratingFailed(reason):
            members["status"] = .string("rating-failed")
            members["rating_error"] = .string(reason)
        }
        return .object(members)
    }

    /// Computes the content hash, links the frame to `previousHash` and returns the
    /// record value: the canonical body plus `content_hash` and `previous_hash`.
    /// The body is encoded once; the two hash members are spliced in at their
    /// canonical places (`content_hash` sorts first, `previous_hash` just before
    /// `previous_price`).
    public mutating func seal(previousHash: String) -> [UInt8] {
        guard case let .object(members) = body else { return [] }
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(2048)
        var splice = 0
        for (i, key) in CanonicalJSON.sortedKeys(members).enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            if key == "previous_price" { splice = bytes.count }
            CanonicalJSON.string(key).write(into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            members[key]!.write(into: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        contentHash = SHA256.hex(bytes)
        self.previousHash = previousHash
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 180)
        out.append(contentsOf: "{\"content_hash\":\"\(contentHash)\",".utf8)
        out.append(contentsOf: bytes[1..<splice])
        out.append(contentsOf: "\"previous_hash\":\"\(previousHash)\",".utf8)
        out.append(contentsOf: bytes[splice...])
        return out
    }
}
