import TallyCore
import TallyLMDB

/// The compact summary record of a frame's latest revision, the value of its `by_scope` key
/// (scope, NUL, window start, frame id). Fixed layout, little-endian, no JSON:
///
///     revision u32 | window end i64 | quantity (coefficient i128, exponent i32)
///     | price (coefficient i128, exponent i32) | 9 string ids u32: scope kind, metric,
///     service, resource, user, unit, currency, status, scope name (0: none)
///     | groupby pair count u16 | metadata pair count u16 | pairs (key id u32, value id u32)…
///
/// Quantity and price are the frame's exact decimals as parsed (coefficient and exponent),
/// so every sum over them is the sum of the frame's own text. Groupby and metadata pairs are
/// sorted by key, so equal frames give equal bytes.
enum SummaryRecord {
    struct Fields: Sendable {
        var scopeKind: UInt32, metric: UInt32, service: UInt32, resource: UInt32, user: UInt32
        var unit: UInt32, currency: UInt32, status: UInt32, scopeName: UInt32
        var groupbyCount: UInt16
        var metadataCount: UInt16
        /// Where this frame's pairs start in its batch's `pairs` (in pairs, not words).
        var pairStart: Int
    }

    static let headerSize = 4 + 8 + 20 + 20 + 9 * 4 + 4

    static func encode(_ frame: IndexedFrame, _ interner: inout StringInterner,
                       _ txn: borrowing LMDBWriteTransaction) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + 8 * (frame.groupby.count + frame.metadata.count))
        append(UInt32(clamping: frame.revision), to: &out)
        append(UInt64(bitPattern: frame.windowEnd.micros), to: &out)
        append(frame.quantity, to: &out)
        append(frame.price, to: &out)
        for text in [frame.scopeKind, frame.metric, frame.service, frame.resource, frame.user, frame.unit,
                     frame.currency, frame.status, frame.scopeName ?? ""] {
            append(try interner.id(text, txn), to: &out)
        }
        let groupby = frame.groupby.sorted { $0.key < $1.key }, metadata = frame.metadata.sorted { $0.key < $1.key }
        append(UInt16(clamping: groupby.count), to: &out)
        append(UInt16(clamping: metadata.count), to: &out)
        for (key, value) in (groupby.prefix(Int(UInt16.max)) + metadata.prefix(Int(UInt16.max))) {
            append(try interner.id(key, txn), to: &out)
            append(try interner.id(value, txn), to: &out)
        }
        return out
    }

    /// One record decoded, before its batch exists (`summaries` makes the batch once all
    /// of a read's pairs are collected).
    struct Decoded {
        var frameIdKey: FrameIdKey
        var revision: Int
        var windowStart: EventTime
        var windowEnd: EventTime
        var quantity: ExactDecimal
        var price: ExactDecimal
        var fields: Fields
    }

    /// Decodes a `by_scope` entry, appending its groupby/metadata pairs to `pairs`; nil when
    /// the value is not a record of this layout or names an id beyond `nameCount`.
    static func decode(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, nameCount: Int,
                       pairs: inout [UInt32]) -> Decoded? {
        guard value.count >= headerSize, key.count >= 40 else { return nil }
        func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: value.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: value.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        func decimal(_ at: Int) -> ExactDecimal {
            let low = u64(at), high = u64(at + 8)
            return ExactDecimal(coefficient: Int128(bitPattern: UInt128(high) << 64 | UInt128(low)),
                                exponent: Int32(bitPattern: u32(at + 16)))
        }
        func name(_ at: Int) -> UInt32? { let id = u32(at); return Int(id) < nameCount ? id : nil }
        guard let scopeKind = name(52), let metric = name(56), let service = name(60), let resource = name(64),
              let user = name(68), let unit = name(72), let currency = name(76), let status = name(80),
              let scopeName = name(84) else { return nil }
        let groupbyCount = UInt16(littleEndian: value.loadUnaligned(fromByteOffset: 88, as: UInt16.self))
        let metadataCount = UInt16(littleEndian: value.loadUnaligned(fromByteOffset: 90, as: UInt16.self))
        let pairCount = 2 * (Int(groupbyCount) + Int(metadataCount))
        guard value.count == headerSize + 4 * pairCount else { return nil }
        let pairStart = pairs.count / 2
        for i in 0..<pairCount {
            guard let id = name(headerSize + 4 * i) else { pairs.removeLast(pairs.count - 2 * pairStart); return nil }
            pairs.append(id)
        }
        let idStart = key.count - 32
        func keyWord(_ at: Int) -> UInt64 { UInt64(bigEndian: key.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        let start = Int64(bitPattern: keyWord(idStart - 8) ^ (1 << 63))
        return Decoded(
            frameIdKey: FrameIdKey(words: (keyWord(idStart), keyWord(idStart + 8), keyWord(idStart + 16), keyWord(idStart + 24))),
            revision: Int(u32(0)), windowStart: EventTime(micros: start),
            windowEnd: EventTime(micros: Int64(bitPattern: u64(4))), quantity: decimal(12), price: decimal(32),
            fields: Fields(scopeKind: scopeKind, metric: metric, service: service, resource: resource, user: user, unit: unit,
                           currency: currency, status: status, scopeName: scopeName, groupbyCount: groupbyCount,
                           metadataCount: metadataCount, pairStart: pairStart))
    }

    /// The revision of an encoded record; nil when the bytes are not a record of this layout.
    static func revision(_ record: [UInt8]) -> UInt32? {
        guard record.count >= headerSize else { return nil }
        return UInt32(record[0]) | UInt32(record[1]) << 8 | UInt32(record[2]) << 16 | UInt32(record[3]) << 24
    }

    private static func append(_ value: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value)); out.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    private static func append(_ value: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    private static func append(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    private static func append(_ value: ExactDecimal, to out: inout [UInt8]) {
        let bits = UInt128(bitPattern: value.coefficient)
        append(UInt64(truncatingIfNeeded: bits), to: &out)
        append(UInt64(truncatingIfNeeded: bits >> 64), to: &out)
        append(UInt32(bitPattern: value.exponent), to: &out)
    }
}
