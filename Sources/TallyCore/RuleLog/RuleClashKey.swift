/// CloudKitty's uniqueness key for a rule (its 409), the key `RuleSetChecker.checkLiveDuplicates`
/// compares, held by the fold's clash index. The declarations a mapping or threshold names
/// are given by their interned target numbers (`RuleLogState.targetNumbers`), which the
/// check has already found (`RuleIndexing`), so building the key joins no strings and
/// hashing it reads only the value (or level) and tenant. Two keys are equal exactly when
/// the names they stand for are: a target's number is the same for all its incarnations,
/// and a name the key leaves out (no field, no group, no tenant) can never be confused
/// with an empty one, which the check refuses before a key is built.
///
/// The checker joins the parts with U+001F, so names that contain that character can
/// clash across parts there; such a key is kept as the checker's joined string
/// (`joined`), which keeps every verdict the same (a joined string without U+001F in
/// any part never equals one with it: it has fewer separators).
struct RuleClashKey: Hashable, Sendable {
    enum Shape: UInt8 { case serviceMapping, fieldMapping, threshold, tier, joined }
    var shape: Shape
    /// Target numbers; -1: none named.
    var service: Int32 = -1, field: Int32 = -1, group: Int32 = -1
    /// A field mapping's value, a threshold's level (canonical text), a tier's service;
    /// for `.joined`, the whole joined key.
    var text: String = ""
    var tenant: String = ""
}

extension RuleClashKey: ByteHashKey {
    /// The clash index's hash (`ByteHashTable`): the numbers and the two strings' bytes.
    var byteHash: UInt64 {
        let numbers = UInt64(UInt32(bitPattern: service)) << 32 | UInt64(UInt32(bitPattern: field))
        let h = ByteHash.mix(ByteHash.mix(UInt64(shape.rawValue) << 32 | UInt64(UInt32(bitPattern: group)), numbers),
                             text.byteHash)
        return ByteHash.mix(h, tenant.byteHash)
    }
}

extension RuleLogState {
    /// `item`'s clash key, its declarations' numbers taken from `found` (the check's
    /// `requireAttachment`); nil for items that have none.
    func clashKey(_ item: RuleItem, found: RuleIndexing) -> RuleClashKey? {
        if namesHoldSeparator(item, found: found), let joined = Self.joinedClashKey(item) {
            return RuleClashKey(shape: .joined, text: joined)
        }
        switch item {
        case .mapping(let m):
            return RuleClashKey(shape: m.field == nil ? .serviceMapping : .fieldMapping, service: found.service,
                                field: found.field, group: found.group, text: m.field == nil ? "" : m.value ?? "",
                                tenant: m.tenant ?? "")
        case .threshold(let t):
            return RuleClashKey(shape: .threshold, service: found.service, field: found.field, group: found.group,
                                text: t.level.canonicalText, tenant: t.tenant ?? "")
        case .tier(let t):
            return RuleClashKey(shape: .tier, text: t.service, tenant: t.tenant ?? "")
        default:
            return nil
        }
    }

    /// Whether any part of `item`'s clash key holds U+001F (the checker's separator). A
    /// service, field or group `found` numbers was tested when it was interned
    /// (`TargetEntry.namesHoldSeparator`); only the others' bytes are read here.
    func namesHoldSeparator(_ item: RuleItem, found: RuleIndexing) -> Bool {
        // One part at a time: a variadic list would cost an array per rule checked.
        func holds(_ part: String?) -> Bool { part.map(Self.holdsSeparator) ?? false }
        func declared(_ number: Int32, _ name: String?) -> Bool {
            number >= 0 ? targets[Int(number)].namesHoldSeparator : holds(name)
        }
        switch item {
        case .mapping(let m):
            return declared(found.service, m.service) || declared(found.field, m.field) || holds(m.value)
                || declared(found.group, m.group) || holds(m.tenant)
        case .threshold(let t):
            return declared(found.service, t.service) || declared(found.field, t.field) || declared(found.group, t.group)
                || holds(t.tenant)
        case .tier(let t): return holds(t.service) || holds(t.tenant)
        default: return false
        }
    }

    /// Whether a declaration's names hold U+001F (`TargetEntry.namesHoldSeparator`).
    static func namesHoldSeparator(_ target: RuleTarget) -> Bool {
        switch target {
        case .group(let name), .service(let name): return holdsSeparator(name)
        case .field(let service, let name): return holdsSeparator(service) || holdsSeparator(name)
        case .rule: return false
        }
    }

    /// Whether `name`'s UTF-8 holds U+001F, read from its bytes in place: `utf8.contains`
    /// stepped through the view an index at a time, ~300 instructions a name and ~9% of
    /// the folding thread (four names per rule checked). RuleClashKeyTests holds the two equal.
    static func holdsSeparator(_ name: String) -> Bool {
        name.utf8.withContiguousStorageIfAvailable { holdsSeparator(UnsafeRawBufferPointer($0)) }
            ?? name.utf8.contains(0x1F)
    }

    /// Whether `bytes` hold U+001F, eight at a time: a word xor-ed with 0x1F in every byte
    /// has a zero byte exactly where the word had the separator (the test below is exact for
    /// "some byte is zero"; the tail's missing bytes become 0x1F, never zero). A byte loop
    /// was ~50 instructions a name, four or five names per rule checked.
    static func holdsSeparator(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let separators: UInt64 = 0x1F1F_1F1F_1F1F_1F1F
        func holds(_ word: UInt64) -> Bool {
            let x = word ^ separators
            return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
        }
        var i = 0
        while i + 8 <= bytes.count {
            if holds(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { return true }
            i += 8
        }
        return bytes.count & 7 != 0 && holds(ByteHash.tailWord(bytes))
    }

    /// `item`'s clash key with its declarations looked up (a rule already in the state:
    /// they were declared when it was accepted).
    func clashKey(_ item: RuleItem) -> RuleClashKey? {
        clashKey(item, found: declarationNumbers(usedBy: item))
    }

    /// The target numbers of the service, field and group a mapping or threshold names
    /// (-1: none, or not interned).
    func declarationNumbers(usedBy item: RuleItem) -> RuleIndexing {
        func number(_ target: RuleTarget) -> Int32 { targetNumbers[target] ?? -1 }
        func numbers(_ service: String, _ field: String?, _ group: String?) -> RuleIndexing {
            var found = RuleIndexing(clashKey: nil)
            found.service = number(.service(service))
            if let field { found.field = number(.field(service: service, name: field)) }
            if let group { found.group = number(.group(group)) }
            return found
        }
        switch item {
        case .mapping(let m): return numbers(m.service, m.field, m.group)
        case .threshold(let t): return numbers(t.service, t.field, t.group)
        default: return RuleIndexing(clashKey: nil)
        }
    }
}
