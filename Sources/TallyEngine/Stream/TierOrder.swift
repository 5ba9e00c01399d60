import TallyCore

/// The content order of windows that share a tier cycle: after the window start, the
/// resource id's bytes, then each extra groupby value (its kind and text). Only the
/// strings count, never symbol ids (assigned in first-seen order), so the live rater,
/// `tally rate`, replay and verify allocate a cycle's bands to the same windows
/// whatever order the samples arrived in.
///
/// Encoded as one byte string whose lexicographic order is the tuple order: each
/// component has 0x00 escaped as 0x00 0x01 and ends with 0x00 0x00.
enum TierOrder {
    static func key(_ window: WindowKey, _ symbols: SymbolTable) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        symbols.withBytes(window.resource) { append($0, to: &out) }
        guard !window.group.isNone else { return out }
        // The group symbol interns (kind byte, big-endian value symbol) per groupby value.
        let group: [UInt8] = symbols.withBytes(window.group) { Array($0) }
        var i = 0
        while i + 5 <= group.count {
            out.append(group[i])
            let raw = UInt32(group[i + 1]) << 24 | UInt32(group[i + 2]) << 16 | UInt32(group[i + 3]) << 8 | UInt32(group[i + 4])
            symbols.withBytes(Symbol(raw: raw)) { append($0, to: &out) }
            i += 5
        }
        return out
    }

    private static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        for b in bytes {
            out.append(b)
            if b == 0 { out.append(1) }
        }
        out.append(0); out.append(0)
    }

    /// Sorts the tier-priced windows of a closing batch into content order (series by
    /// series), so that a cycle's windows with the same start close in the order the
    /// ledger allocates them and none is revised within the batch for having closed
    /// before an earlier one.
    static func sorted(_ keys: [WindowKey], _ symbols: SymbolTable) -> [WindowKey] {
        keys.map { (key: $0, order: TierOrder.key($0, symbols)) }
            .sorted { a, b in
                let x = a.key, y = b.key
                if (x.metric.raw, x.scope.raw, x.start) != (y.metric.raw, y.scope.raw, y.start) {
                    return (x.metric.raw, x.scope.raw, x.start) < (y.metric.raw, y.scope.raw, y.start)
                }
                return a.order.lexicographicallyPrecedes(b.order)
            }
            .map(\.key)
    }
}
