/// The description of a window as rating sees it: the metadata overlaid by the groupby
/// values (groupby wins on a clash). Names and value texts are kept back to back in one
/// byte buffer, so the engine can refill one description per closed window without
/// allocating a `String` per value, and matching compares bytes without reference
/// counting. Names are unique; `set` replaces an existing name's value.
public struct RatingDescription: Sendable {
    @usableFromInline
    struct Entry: Sendable {
        var nameStart: Int32, nameEnd: Int32, valueStart: Int32, valueEnd: Int32
        var kind: MetaKind
        /// `ByteText.prefixWord` of the name, taken once when the entry is set: with the
        /// length it decides a name of up to eight bytes in one compare (matching a rule's
        /// field, finding a name to replace) and filters longer ones.
        var nameWord: UInt64
    }

    @usableFromInline var bytes: [UInt8] = []
    @usableFromInline var entries: [Entry] = []

    public init() {}

    /// From (name, kind, text) triples; a later entry with an existing name replaces it,
    /// so pass metadata first and groupby values after.
    public init(_ entries: [(name: String, kind: MetaKind, text: String)]) {
        self.entries.reserveCapacity(entries.count)
        for e in entries { set(e.name, kind: e.kind, text: e.text) }
    }

    /// Convenience for tests and quotes: every value is a JSON string.
    public init(strings: [String: String]) {
        self.init(strings.sorted { $0.key < $1.key }.map { ($0.key, MetaKind.string, $0.value) })
    }

    public var count: Int { entries.count }
    public func name(at i: Int) -> String { String(decoding: bytes[Int(entries[i].nameStart)..<Int(entries[i].nameEnd)], as: UTF8.self) }
    public func kind(at i: Int) -> MetaKind { entries[i].kind }
    /// The value's text: see `MetaValue` (string unescaped, number token, true/false, raw JSON).
    public func text(at i: Int) -> String { String(decoding: bytes[Int(entries[i].valueStart)..<Int(entries[i].valueEnd)], as: UTF8.self) }

    /// The slot of `name`, if present.
    public func index(of name: String) -> Int? {
        var name = name
        return name.withUTF8 { n in bytes.withUnsafeBytes { b in Self.find(UnsafeRawBufferPointer(n), in: b, entries) } }
    }

    public mutating func set(_ name: String, kind: MetaKind, text: String) {
        var name = name, text = text
        name.withUTF8 { n in text.withUTF8 { t in set(name: UnsafeRawBufferPointer(n), kind: kind, value: UnsafeRawBufferPointer(t)) } }
    }

    /// Sets a value from raw UTF-8 bytes (e.g. straight from a symbol table's arena).
    public mutating func set(name: UnsafeRawBufferPointer, kind: MetaKind, value: UnsafeRawBufferPointer) {
        let word = ByteText.prefixWord(name)
        let existing = bytes.withUnsafeBytes { b in entries.withUnsafeBufferPointer { Self.find(name, word: word, in: b, $0) } }
        let valueStart = Int32(bytes.count)
        bytes.append(contentsOf: value)
        if let i = existing {
            entries[i].valueStart = valueStart
            entries[i].valueEnd = Int32(bytes.count)
            entries[i].kind = kind
            return
        }
        let nameStart = Int32(bytes.count)
        bytes.append(contentsOf: name)
        entries.append(Entry(nameStart: nameStart, nameEnd: Int32(bytes.count), valueStart: valueStart,
                             valueEnd: nameStart, kind: kind, nameWord: word))
    }

    /// Empties the description, keeping its storage for the next window.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
    }

    /// The entry whose name equals `name`, absent values counting as missing.
    @usableFromInline
    static func find(_ name: UnsafeRawBufferPointer, in bytes: UnsafeRawBufferPointer, _ entries: [Entry]) -> Int? {
        entries.withUnsafeBufferPointer { find(name, word: ByteText.prefixWord(name), in: bytes, $0) }
    }

    /// `word`: `ByteText.prefixWord(name)`.
    @inline(__always)
    static func find(_ name: UnsafeRawBufferPointer, word: UInt64, in bytes: UnsafeRawBufferPointer,
                     _ entries: UnsafeBufferPointer<Entry>) -> Int? {
        for i in 0..<entries.count where entries[i].nameWord == word {
            let e = entries[i]
            if Int(e.nameEnd - e.nameStart) == name.count && e.kind != .absent
                && (name.count <= 8
                    || ByteText.equal(UnsafeRawBufferPointer(rebasing: bytes[Int(e.nameStart)..<Int(e.nameEnd)]), name)) {
                return i
            }
        }
        return nil
    }
}

/// Byte-string helpers for matching without `String`.
enum ByteText {
    @inline(__always) static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        if a.count == 0 { return true }
        return memcmpBytes(a.baseAddress!, b.baseAddress!, a.count)
    }

    @inline(__always) static func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
        // Up to 16 bytes (rule values, scopes): two overlapping loads per side.
        if n >= 8 && n <= 16 {
            return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
                && a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        if n >= 4 && n < 8 {
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        }
        var i = 0
        while i + 8 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        while i < n {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        return true
    }

    /// The first (up to) eight bytes of `bytes` as one word: with the length, it decides
    /// equality of texts of up to eight bytes in one compare (field names), and filters
    /// longer ones before `equal`. Texts of 4–7 bytes are two overlapping 4-byte loads (with
    /// the length, still one word per text), shorter ones zero-padded bytes.
    @inline(__always) static func prefixWord(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        guard let base = bytes.baseAddress else { return 0 }
        let n = bytes.count
        if n >= 8 { return base.loadUnaligned(as: UInt64.self) }
        if n >= 4 {
            return UInt64(base.loadUnaligned(as: UInt32.self))
                | UInt64(base.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) << 32
        }
        var word: UInt64 = 0
        for i in 0..<n { word |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt64(i)) }
        return word
    }

    static func prefixWord(of text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { prefixWord(UnsafeRawBufferPointer($0)) }
    }

    /// Eight bytes at a time, multiply and fold: fast for the short texts rule values
    /// and scopes are. Not a defence against chosen collisions (tables stay correct,
    /// only slower); rule values come from the operator's book.
    @inline(__always) static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = UInt64(bytes.count) &* k
        guard let base = bytes.baseAddress else { return h }
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* k
            h ^= h >> 32
            i += 8
        }
        // The last partial word: the text's last eight bytes (overlapping the previous
        // word) when there are eight, else `prefixWord`'s loads; the length is in `h`.
        if i < n {
            let tail = n >= 8 ? base.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
                : prefixWord(UnsafeRawBufferPointer(start: base, count: n))
            h = (h ^ tail) &* k
        }
        // Fold the full 128-bit product's halves: tables take the low bits, and a plain
        // multiply leaves those depending only on the input's low bytes. `h ^ (h >> 29)`
        // did not reach the bytes that vary in "m1.flavor12" or "acct-1234" (the tail's
        // top bytes): the bench's 30 two-digit flavors shared one probe chain, and 10,000
        // scopes probed ~13.6 entries each on average; with the fold, ~1.1–1.2.
        let (high, low) = h.multipliedFullWidth(by: k)
        return high ^ low
    }
}

/// One closed window to price.
public struct RatingInput: Sendable {
    /// The service name: the metric's `alt_name`, else its key.
    public var service: String
    /// The billed party being rated (tenant rules follow it, not the point's project).
    public var scope: String
    public var user: String?
    public var resource: String
    public var quantity: ExactDecimal
    public var unit: String
    public var windowStart: EventTime
    public var windowEnd: EventTime
    public var description: RatingDescription

    public init(service: String, scope: String, user: String? = nil, resource: String, quantity: ExactDecimal,
                unit: String, windowStart: EventTime, windowEnd: EventTime, description: RatingDescription) {
        self.service = service; self.scope = scope; self.user = user; self.resource = resource
        self.quantity = quantity; self.unit = unit; self.windowStart = windowStart; self.windowEnd = windowEnd
        self.description = description
    }
}

/// Usage of the earlier windows of a tier cycle, supplied by whoever keeps window state.
public struct TierPriorUsage: Sendable, Hashable {
    public var quantity: ExactDecimal
    public var windows: Int
    public init(quantity: ExactDecimal, windows: Int) { self.quantity = quantity; self.windows = windows }
    public static let none = TierPriorUsage(quantity: .zero, windows: 0)
}

/// The engine's view of cycle state for the tiers module: the summed quantity and the
/// count of the (scope, service) windows with `cycleStart <= start < windowStart`.
public protocol TierUsageSource {
    func priorUsage(scope: String, service: String, cycleStart: EventTime, before windowStart: EventTime) -> TierPriorUsage
}

/// Runs script rules (implemented by TallyScript). Must be deterministic: the same
/// source, input and price always give the same result.
public protocol ScriptEvaluator {
    /// The new price of the window; throws to mark the window rating-failed.
    func evaluate(script: ScriptRule, input: RatingInput, currentPrice: ExactDecimal) throws -> ExactDecimal
}
