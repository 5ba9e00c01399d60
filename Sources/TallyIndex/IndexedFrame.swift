import Foundation
import TallyCore
import TallyWire

/// The fields of a frame that queries select, group and sum by, decoded once from the
/// frame's bytes (which are kept verbatim for the endpoints that return whole frames).
public struct IndexedFrame: RatedFrameFields, Sendable {
    public var frameId: String
    public var revision: Int
    public var scope: String
    public var scopeKind: String
    public var metric: String
    public var service: String
    public var resource: String
    public var user: String
    public var windowStart: EventTime
    public var windowEnd: EventTime
    public var quantity: ExactDecimal
    public var unit: String
    public var price: ExactDecimal
    public var currency: String
    public var status: String
    public var groupby: [String: String]
    public var metadata: [String: String]
    public var scopeName: String?
    public var bytes: [UInt8]

    /// Decodes a frame record; nil when it is not a frame (a malformed record is counted, not indexed).
    /// The frames Tally writes are read by `FrameJSONReader` (no Foundation); anything it is not
    /// sure about is decoded by Foundation, as before.
    public init?(bytes: [UInt8]) {
        if let fields = bytes.withUnsafeBytes({ FrameJSONReader.read($0) }), let frame = IndexedFrame(fast: fields, bytes: bytes) {
            self = frame
            return
        }
        self.init(decodingWithFoundation: bytes)
    }

    init(frameId: String, revision: Int, scope: String, scopeKind: String, metric: String, service: String, resource: String,
         user: String, windowStart: EventTime, windowEnd: EventTime, quantity: ExactDecimal, unit: String, price: ExactDecimal,
         currency: String, status: String, groupby: [String: String], metadata: [String: String], scopeName: String?, bytes: [UInt8]) {
        self.frameId = frameId; self.revision = revision; self.scope = scope; self.scopeKind = scopeKind; self.metric = metric
        self.service = service; self.resource = resource; self.user = user; self.windowStart = windowStart; self.windowEnd = windowEnd
        self.quantity = quantity; self.unit = unit; self.price = price; self.currency = currency; self.status = status
        self.groupby = groupby; self.metadata = metadata; self.scopeName = scopeName; self.bytes = bytes
    }

    /// The reference decoding (JSONSerialization): every frame the fast reader is unsure of.
    init?(decodingWithFoundation bytes: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let id = object["frame_id"] as? String, id.utf8.count == 32,
              let revision = object["revision"] as? Int, revision >= 1,
              let quantity = (object["quantity"] as? String).flatMap(ExactDecimal.init),
              let price = (object["price"] as? String).flatMap(ExactDecimal.init),
              let scope = object["scope"] as? [String: Any], let scopeId = scope["id"] as? String,
              let window = object["window"] as? [String: Any],
              let start = (window["start"] as? String).flatMap({ try? TimestampParser.parse($0) }),
              let end = (window["end"] as? String).flatMap({ try? TimestampParser.parse($0) }) else { return nil }
        frameId = id
        self.revision = revision
        self.scope = scopeId
        scopeKind = scope["kind"] as? String ?? ""
        metric = object["metric"] as? String ?? ""
        service = object["service"] as? String ?? metric
        resource = object["resource_id"] as? String ?? ""
        user = object["user_id"] as? String ?? ""
        windowStart = start
        windowEnd = end
        self.quantity = quantity
        unit = object["unit"] as? String ?? ""
        self.price = price
        currency = object["currency"] as? String ?? ""
        status = object["status"] as? String ?? ""
        groupby = Self.strings(object["groupby"])
        metadata = Self.strings(object["metadata"])
        scopeName = FrameScopeName.of(object)
        self.bytes = bytes
    }

    /// A JSON object's members as text (numbers and booleans as JSON writes them).
    static func strings(_ value: Any?) -> [String: String] {
        guard let members = value as? [String: Any] else { return [:] }
        var out: [String: String] = [:]
        for (key, value) in members {
            switch value {
            case let text as String: out[key] = text
            case is NSNull: continue
            case let number as NSNumber: out[key] = number.stringValue
            default: continue
            }
        }
        return out
    }

    public func groupbyValue(_ key: String) -> String? { groupby[key] }
    public func metadataValue(_ key: String) -> String? { metadata[key] }
}
