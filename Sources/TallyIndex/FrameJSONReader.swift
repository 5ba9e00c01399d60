import TallyCore
import TallyWire

/// A frame's fields read straight from its bytes, for the indexing hot path (no Foundation, no
/// `[String: Any]`). It reads the frames Tally writes: one object, plain strings (no escapes,
/// valid UTF-8), integers. Whatever it is not sure about (an escape, a float or boolean in
/// groupby/metadata, a repeated key, a field of an unexpected type, a malformed document)
/// returns nil and `IndexedFrame` decodes that frame with Foundation instead, so both paths give
/// the same fields by construction of this rule (IndexedFrameDecodingTests compares them).
struct FrameJSONReader {
    private let bytes: UnsafeRawBufferPointer
    private var at = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The parts of a frame `IndexedFrame` keeps, nil when unsure (see above).
    struct Fields {
        var frameId: String?, revision: Int?, quantity: String?, price: String?
        var scopeId: String?, scopeKind: String?, windowStart: String?, windowEnd: String?
        var metric: String?, service: String?, resource: String?, user: String?, unit: String?, currency: String?, status: String?
        var groupby: [String: String] = [:], metadata: [String: String] = [:]
    }

    static func read(_ raw: UnsafeRawBufferPointer) -> Fields? {
        var reader = FrameJSONReader(raw)
        var fields = Fields()
        guard reader.readTopLevel(&fields) else { return nil }
        reader.skipSpace()
        return reader.at == raw.count ? fields : nil
    }

    private mutating func skipSpace() {
        while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        skipSpace()
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    private func peek() -> UInt8? { at < bytes.count ? bytes[at] : nil }

    /// A string without escapes; nil for anything else.
    private mutating func string() -> String? {
        skipSpace()
        guard peek() == UInt8(ascii: "\"") else { return nil }
        let start = at + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
            if bytes[end] == UInt8(ascii: "\\") || bytes[end] < 0x20 { return nil }
            end += 1
        }
        guard end < bytes.count else { return nil }
        at = end + 1
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        // ASCII is valid UTF-8 as it is; anything else is checked.
        if !text.contains(where: { $0 >= 0x80 }) { return String(decoding: text, as: UTF8.self) }
        return String(validating: text, as: UTF8.self)
    }

    /// An integer literal that Foundation gives back as the same text: `-?(0|[1-9][0-9]{0,17})`, not `-0`.
    private mutating func integerText() -> String? {
        skipSpace()
        let start = at
        if peek() == UInt8(ascii: "-") { at += 1 }
        let digits = at
        while let c = peek(), c >= 0x30, c <= 0x39 { at += 1 }
        let count = at - digits
        guard count >= 1, count <= 18, !(count > 1 && bytes[digits] == 0x30) else { return nil }
        if let c = peek(), c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { return nil }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        return text == "-0" ? nil : text
    }

    private mutating func null() -> Bool {
        skipSpace()
        guard at + 4 <= bytes.count, bytes[at] == 0x6E, bytes[at + 1] == 0x75, bytes[at + 2] == 0x6C, bytes[at + 3] == 0x6C else { return false }
        at += 4
        return true
    }

    /// Visits an object's members; `member` reads each value and returns false when unsure.
    private mutating func object(_ member: (inout FrameJSONReader, String) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "{")) else { return false }
        if consume(UInt8(ascii: "}")) { return true }
        repeat {
            guard let key = string(), consume(UInt8(ascii: ":")), member(&self, key) else { return false }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "}"))
    }

    /// Skips a nested value Foundation would also drop from a string map (object or array).
    private mutating func skipContainer() -> Bool {
        skipSpace()
        var depth = 0
        repeat {
            guard let c = peek() else { return false }
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; at += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1; at += 1
            case UInt8(ascii: "\""): guard string() != nil else { return false }
            default: at += 1
            }
        } while depth > 0
        return true
    }

    private mutating func stringMap(_ out: inout [String: String]) -> Bool {
        object { reader, key in
            guard out[key] == nil else { return false }  // a repeated key: let Foundation decide
            reader.skipSpace()
            // The scope's name must be a string (FrameScopeName): anything else, Foundation decides.
            if key == "project_name" || key == "scope_name", reader.peek() != UInt8(ascii: "\"") { return false }
            switch reader.peek() {
            case UInt8(ascii: "\""): guard let text = reader.string() else { return false }; out[key] = text
            case UInt8(ascii: "n"): guard reader.null() else { return false }
            case UInt8(ascii: "{"), UInt8(ascii: "["): return reader.skipContainer()
            default: guard let text = reader.integerText() else { return false }; out[key] = text
            }
            return true
        }
    }

    /// The top-level keys the index reads, by bit: a second one makes the reader unsure.
    private static let readKeys = ["frame_id", "revision", "quantity", "price", "metric", "service", "resource_id", "user_id",
                                   "unit", "currency", "status", "groupby", "metadata", "scope", "window"]

    private mutating func readTopLevel(_ f: inout Fields) -> Bool {
        var seen: UInt32 = 0
        return object { reader, key in
            if let bit = Self.readKeys.firstIndex(of: key) {
                guard seen & (1 << bit) == 0 else { return false }
                seen |= 1 << bit
            }
            func text(_ field: inout String?) -> Bool { field = reader.string(); return field != nil }
            switch key {
            case "frame_id": return text(&f.frameId)
            case "revision": guard let t = reader.integerText(), let n = Int(t) else { return false }; f.revision = n; return true
            case "quantity": return text(&f.quantity)
            case "price": return text(&f.price)
            case "metric": return text(&f.metric)
            case "service": return text(&f.service)
            case "resource_id": return text(&f.resource)
            case "user_id": return text(&f.user)
            case "unit": return text(&f.unit)
            case "currency": return text(&f.currency)
            case "status": return text(&f.status)
            case "groupby": return reader.stringMap(&f.groupby)
            case "metadata": return reader.stringMap(&f.metadata)
            case "scope":
                return reader.object { r, k in
                    switch k {
                    case "id": guard f.scopeId == nil else { return false }; f.scopeId = r.string(); return f.scopeId != nil
                    case "kind": guard f.scopeKind == nil else { return false }; f.scopeKind = r.string(); return f.scopeKind != nil
                    default: return r.skipAny()
                    }
                }
            case "window":
                return reader.object { r, k in
                    switch k {
                    case "start": guard f.windowStart == nil else { return false }; f.windowStart = r.string(); return f.windowStart != nil
                    case "end": guard f.windowEnd == nil else { return false }; f.windowEnd = r.string(); return f.windowEnd != nil
                    default: return r.skipAny()
                    }
                }
            default: return reader.skipAny()
            }
        }
    }

    /// Skips a value the index does not read (strings without escapes, integers, null,
    /// containers); anything else is unsure.
    private mutating func skipAny() -> Bool {
        skipSpace()
        switch peek() {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "n"): return null()
        case UInt8(ascii: "{"), UInt8(ascii: "["): return skipContainer()
        default: return integerText() != nil
        }
    }
}

extension IndexedFrame {
    /// From the fast reader's fields; nil when they do not make a frame (Foundation then decides).
    init?(fast f: FrameJSONReader.Fields, bytes: [UInt8]) {
        guard let id = f.frameId, id.utf8.count == 32, let revision = f.revision, revision >= 1,
              let quantity = f.quantity.flatMap(ExactDecimal.init), let price = f.price.flatMap(ExactDecimal.init),
              let scope = f.scopeId, let start = f.windowStart.flatMap({ try? TimestampParser.parse($0) }),
              let end = f.windowEnd.flatMap({ try? TimestampParser.parse($0) }) else { return nil }
        let metric = f.metric ?? ""
        var scopeName: String?
        for section in [f.groupby, f.metadata] where scopeName == nil {
            for key in ["project_name", "scope_name"] where scopeName == nil {
                if let name = section[key], !name.isEmpty { scopeName = name }
            }
        }
        self.init(frameId: id, revision: revision, scope: scope, scopeKind: f.scopeKind ?? "", metric: metric,
                  service: f.service ?? metric, resource: f.resource ?? "", user: f.user ?? "", windowStart: start, windowEnd: end,
                  quantity: quantity, unit: f.unit ?? "", price: price, currency: f.currency ?? "", status: f.status ?? "",
                  groupby: f.groupby, metadata: f.metadata, scopeName: scopeName, bytes: bytes)
    }
}
