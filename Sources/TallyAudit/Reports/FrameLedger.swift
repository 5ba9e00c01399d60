import Foundation
import TallyCore
import TallyWire

/// The latest revision of every frame read from the frames topic: what a
/// billing system keeps. Resent duplicates (same id and revision) must be
/// byte-identical; `conflicts` lists any that are not.
public struct FrameLedger {
    public struct Entry: Sendable {
        public var frameId: String
        public var revision: Int
        public var scope: String
        public var metric: String
        public var service: String
        public var resource: String
        public var windowStart: String
        /// The window's end as the frame wrote it ("" when absent).
        public var windowEnd: String
        public var quantity: ExactDecimal
        public var unit: String
        public var price: ExactDecimal
        public var currency: String
        public var status: String
        /// The frame's top-level `user_id` ("" when absent).
        public var userId: String
        /// `project_name` (or `scope_name`): a non-empty string of the groupby, else the metadata.
        public var scopeName: String?
        /// The frame verbatim; empty for an entry made from the frame index's summary values.
        public var bytes: [UInt8]

        public init(frameId: String, revision: Int, scope: String, metric: String, service: String, resource: String,
                    windowStart: String, windowEnd: String, quantity: ExactDecimal, unit: String, price: ExactDecimal,
                    currency: String, status: String, userId: String, scopeName: String?, bytes: [UInt8] = []) {
            self.frameId = frameId; self.revision = revision; self.scope = scope; self.metric = metric
            self.service = service; self.resource = resource; self.windowStart = windowStart; self.windowEnd = windowEnd
            self.quantity = quantity; self.unit = unit; self.price = price; self.currency = currency
            self.status = status; self.userId = userId; self.scopeName = scopeName; self.bytes = bytes
        }
    }

    public private(set) var latest: [String: Entry] = [:]
    public private(set) var framesRead = 0
    public private(set) var duplicates = 0
    public private(set) var conflicts: [String] = []
    public private(set) var malformed = 0
    private var seen: [String: [UInt8]] = [:]

    public init() {}

    public mutating func add(_ bytes: [UInt8]) {
        framesRead += 1
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let id = object["frame_id"] as? String, let revision = object["revision"] as? Int,
              let quantity = (object["quantity"] as? String).flatMap(ExactDecimal.init),
              let price = (object["price"] as? String).flatMap(ExactDecimal.init) else {
            malformed += 1
            return
        }
        let revisionKey = "\(id)#\(revision)"
        if let previous = seen[revisionKey] {
            duplicates += 1
            if previous != bytes { conflicts.append(revisionKey) }
            return
        }
        seen[revisionKey] = bytes
        if let current = latest[id], current.revision >= revision { return }
        let scope = (object["scope"] as? [String: Any])?["id"] as? String ?? ""
        let window = object["window"] as? [String: Any]
        latest[id] = Entry(frameId: id, revision: revision, scope: scope, metric: object["metric"] as? String ?? "",
                           service: object["service"] as? String ?? "", resource: object["resource_id"] as? String ?? "",
                           windowStart: window?["start"] as? String ?? "", windowEnd: window?["end"] as? String ?? "",
                           quantity: quantity, unit: object["unit"] as? String ?? "", price: price,
                           currency: object["currency"] as? String ?? "", status: object["status"] as? String ?? "",
                           userId: object["user_id"] as? String ?? "", scopeName: FrameScopeName.of(object), bytes: bytes)
    }

    /// Adds the latest revision of a frame already deduplicated elsewhere (the frame index):
    /// counted as read, kept when it is newer than what the ledger has.
    public mutating func insert(latest entry: Entry) {
        framesRead += 1
        if let current = latest[entry.frameId], current.revision >= entry.revision { return }
        latest[entry.frameId] = entry
    }


    /// Totals of the latest revisions by `key` (e.g. scope, or scope and metric), exact
    /// (`ExactSum`): the entries come in a dictionary's order, and an `ExactDecimal` running
    /// sum rounds to 28 digits at each addition, so it would depend on that order.
    public func totals<K: Hashable>(by key: (Entry) -> K) -> [K: (quantity: ExactSum, price: ExactSum, frames: Int)] {
        var out: [K: (quantity: ExactSum, price: ExactSum, frames: Int)] = [:]
        for entry in latest.values {
            let k = key(entry)
            var t = out[k] ?? (ExactSum(), ExactSum(), 0)
            t.quantity.add(entry.quantity)
            t.price.add(entry.price)
            t.frames += 1
            out[k] = t
        }
        return out
    }
}
