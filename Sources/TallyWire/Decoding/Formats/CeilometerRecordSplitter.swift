/// Splits a Ceilometer record whose samples belong to several routing keys into records
/// that each hold only some of its samples (`tally route`, docs/SCALE.md).
///
/// Each record it writes is the original with a shorter `payload`: the oslo envelope's
/// other members and the notification's other members (`message_id`, `priority`,
/// `timestamp`, `_context`, …) are copied byte for byte, and each kept sample's JSON is
/// copied as it was in the notification, so its content — and its `message_signature`,
/// which signs that content — is unchanged. The notification is unescaped from
/// `oslo.message` and escaped again around the shorter payload (the only bytes that
/// change are escapes a JSON encoder may write either way). So the records of one split
/// hold the original's bytes once, plus one copy of the notification's non-payload
/// members each: a bounded amplification, never N copies of the whole record.
///
/// One splitter per router: it reuses its buffers and is not thread-safe.
public final class CeilometerRecordSplitter {
    /// The unescaped notification of the record being split.
    private let messageScratch = ScratchBuffer(capacity: 64 * 1024)
    /// Where each payload element lies in the notification text.
    private var elements: [Range<Int>] = []
    private var notification: [UInt8] = []
    private var output: [UInt8] = []

    public init() {}

    /// Calls `body` once per group with a record holding only the payload samples whose
    /// indices the group lists (in the order listed). The bytes given to `body` are valid
    /// only during the call. Returns false, calling nothing, when the record is not a
    /// Ceilometer notification with a payload list of `sampleCount` elements (the caller
    /// then keeps the record whole).
    public func split(_ record: UnsafeRawBufferPointer, sampleCount: Int, groups: [[Int]],
                      _ body: (_ group: Int, _ value: UnsafeRawBufferPointer) throws -> Void) rethrows -> Bool {
        guard let layout = readLayout(record), elements.count == sampleCount,
              groups.allSatisfy({ $0.allSatisfy { $0 >= 0 && $0 < sampleCount } }) else { return false }
        let text = layout.envelope == nil ? record : UnsafeRawBufferPointer(start: messageScratch.base, count: layout.textCount)
        for (g, indices) in groups.enumerated() {
            notification.removeAll(keepingCapacity: true)
            notification.append(contentsOf: text[0..<layout.payload.lowerBound])
            notification.append(UInt8(ascii: "["))
            for (i, index) in indices.enumerated() {
                if i > 0 { notification.append(UInt8(ascii: ",")) }
                notification.append(contentsOf: text[elements[index]])
            }
            notification.append(UInt8(ascii: "]"))
            notification.append(contentsOf: text[layout.payload.upperBound...])
            guard let envelope = layout.envelope else {
                try notification.withUnsafeBytes { try body(g, $0) }
                continue
            }
            output.removeAll(keepingCapacity: true)
            output.append(contentsOf: record[0..<envelope.lowerBound])
            output.append(UInt8(ascii: "\""))
            Self.appendEscaped(notification, to: &output)
            output.append(UInt8(ascii: "\""))
            output.append(contentsOf: record[envelope.upperBound...])
            try output.withUnsafeBytes { try body(g, $0) }
        }
        return true
    }

    /// Where the parts of a record lie: the `oslo.message` string in the record (quotes
    /// included; nil for a notification sent without the envelope), and the payload list
    /// in the notification text (brackets included).
    private struct Layout {
        var envelope: Range<Int>?
        var textCount: Int
        var payload: Range<Int>
    }

    private func readLayout(_ record: UnsafeRawBufferPointer) -> Layout? {
        var scanner = JSONScanner(record)  // plain JSON: the steps compiled for `RawJSONText` only
        var envelope: Range<Int>?
        var text = record
        do throws(JSONSyntaxError) {
            try scanner.beginObject(RawJSONText.self)
            var first = true
            while let key = try scanner.nextMember(&first, RawJSONText.self) {
                if !key.hasEscapes, scanner.bytes(key.range).elementsEqual("oslo.message".utf8), try scanner.peekKind(RawJSONText.self) == .string {
                    let start = scanner.position
                    text = try scanner.readStringUnescaping(into: messageScratch)
                    envelope = start..<scanner.position
                } else {
                    try scanner.skipValue(RawJSONText.self)
                }
            }
        } catch {
            return nil
        }
        guard let payload = readPayload(text) else { return nil }
        return Layout(envelope: envelope, textCount: text.count, payload: payload)
    }

    /// Finds the notification's `payload` list and each of its elements.
    private func readPayload(_ text: UnsafeRawBufferPointer) -> Range<Int>? {
        elements.removeAll(keepingCapacity: true)
        var scanner = JSONScanner(text)  // plain JSON, as above
        var payload: Range<Int>?
        do throws(JSONSyntaxError) {
            try scanner.beginObject(RawJSONText.self)
            var first = true
            while let key = try scanner.nextMember(&first, RawJSONText.self) {
                guard payload == nil, !key.hasEscapes, scanner.bytes(key.range).elementsEqual("payload".utf8),
                      try scanner.peekKind(RawJSONText.self) == .array else {
                    try scanner.skipValue(RawJSONText.self)
                    continue
                }
                let start = scanner.position
                try scanner.beginArray()
                var firstElement = true
                while try scanner.nextElement(&firstElement, RawJSONText.self) {
                    let elementStart = scanner.position
                    try scanner.skipValue(RawJSONText.self)
                    elements.append(elementStart..<scanner.position)
                }
                payload = start..<scanner.position
            }
        } catch {
            return nil
        }
        return payload
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `text` as the contents of a JSON string: `"` and `\` escaped, control
    /// characters as short escapes or `\u00XX`; every other byte (UTF-8 included) as is.
    static func appendEscaped(_ text: [UInt8], to output: inout [UInt8]) {
        output.reserveCapacity(output.count + text.count + text.count / 8)
        for byte in text {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\")); output.append(byte)
            case 0x0A: output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "n"))
            case 0x0D: output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "r"))
            case 0x09: output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "t"))
            case 0..<0x20:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                           hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]])
            default: output.append(byte)
            }
        }
    }
}
