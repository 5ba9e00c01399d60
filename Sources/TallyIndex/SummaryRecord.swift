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

    /// Decodes a `by_scope` entry; nil when the value is not a record of this layout.
    static func decode(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, scope: String,
                       names: [String]) -> FrameSummary? {
        guard value.count >= headerSize, key.count >= 40 else { return nil }
        func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: value.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: value.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        func decimal(_ at: Int) -> ExactDecimal {
            let low = u64(at), high = u64(at + 8)
            return ExactDecimal(coefficient: Int128(bitPattern: UInt128(high) << 64 | UInt128(low)),
                                exponent: Int32(bitPattern: u32(at + 16)))
        }
        let ids = (0..<9).map { u32(52 + 4 * $0) }
        guard ids.allSatisfy({ Int($0) < names.count }) else { return nil }
        let groupbyCount = Int(value.loadUnaligned(fromByteOffset: 88, as: UInt16.self).littleEndian)
        let metadataCount = Int(value.loadUnaligned(fromByteOffset: 90, as: UInt16.self).littleEndian)
        let pairCount = 2 * (groupbyCount + metadataCount)
        guard value.count == headerSize + 4 * pairCount else { return nil }
        var pairs = [UInt32](repeating: 0, count: pairCount)
        for i in 0..<pairCount {
            pairs[i] = u32(headerSize + 4 * i)
            guard Int(pairs[i]) < names.count else { return nil }
        }
        let idStart = key.count - 32
        let start = FrameIndexKeys.readTime(UnsafeRawBufferPointer(rebasing: key[(idStart - 8)..<idStart]))
        return FrameSummary(
            frameId: String(decoding: UnsafeRawBufferPointer(rebasing: key[idStart...]), as: UTF8.self),
            revision: Int(u32(0)), scope: scope, windowStart: EventTime(micros: start),
            windowEnd: EventTime(micros: Int64(bitPattern: u64(4))), quantity: decimal(12), price: decimal(32),
            names: names,
            fields: Fields(scopeKind: ids[0], metric: ids[1], service: ids[2], resource: ids[3], user: ids[4], unit: ids[5],
                           currency: ids[6], status: ids[7], scopeName: ids[8], groupbyCount: UInt16(groupbyCount)),
            pairs: pairs)
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
