import TallyCore

/// Strings the decode thread interned in its own table, shipped with the batch that first
/// used them: ids `first ..< first + ends.count`, their bytes back to back (`ends[i]` is where
/// id `first + i` ends). A copy, so the engine never reads the decode thread's table.
public struct NewSymbols {
    var first = 1
    var bytes: [UInt8] = []
    var ends: [Int] = []

    var end: Int { first + ends.count }

    func withBytes<R>(of index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let start = index == 0 ? 0 : ends[index - 1]
        return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start ..< ends[index]])) }
    }
}

/// The engine's side of the decode thread's symbols: each of its ids, the engine's id for
/// the same string. The engine interns them in the decode thread's id order, each before
/// the first record that folds with it (`catchUp`), which is the order the engine's own
/// decoder would have interned them in, between the same interns of its own (a window's
/// groupby tuple): so every symbol gets the id it gets on one thread, and windows that
/// close at the same time close in the same order (ties go by symbol id; CloseQueue.swift).
/// A record decoded ahead but never folded (fold skips what it folded before) holds only
/// strings the engine already has: they were interned when it folded the record.
struct SymbolRemap {
    /// `map[raw]`: the engine's symbol for the decode thread's symbol `raw`.
    private var map: [Symbol] = [.none]
    /// Received and not interned yet: ids from `pending.first + interned`.
    private var pending = NewSymbols()
    private var interned = 0

    /// Takes the strings a decoded batch introduced (batches arrive in decoding order).
    mutating func receive(_ new: NewSymbols) {
        precondition(new.first == pending.end, "decoded batches arrive out of order")
        if interned == pending.ends.count {
            pending = new
        } else {
            // What the last batch introduced in records no fold reached yet: kept, in order.
            let from = interned == 0 ? 0 : pending.ends[interned - 1]
            var bytes = Array(pending.bytes[from...])
            var ends = pending.ends[interned...].map { $0 - from }
            let base = bytes.count
            bytes.append(contentsOf: new.bytes)
            ends.append(contentsOf: new.ends.map { $0 + base })
            pending = NewSymbols(first: pending.first + interned, bytes: bytes, ends: ends)
        }
        interned = 0
    }

    /// Interns, in order, every decode-thread symbol up to id `count`.
    mutating func catchUp(to count: Int, in table: SymbolTable) {
        while map.count <= count {
            precondition(interned < pending.ends.count, "a decoded record uses a symbol its batch did not ship")
            map.append(pending.withBytes(of: interned) { table.intern($0) })
            interned += 1
        }
    }

    subscript(symbol: Symbol) -> Symbol { map[Int(symbol.raw)] }

    /// The sample with the engine's symbols (its metadata slots are rewritten by the caller).
    func apply(_ sample: inout DecodedSample) {
        sample.metric = self[sample.metric]
        sample.unit = self[sample.unit]
        sample.project = self[sample.project]
        sample.user = self[sample.user]
        sample.resource = self[sample.resource]
    }
}
