import Testing
@testable import TallyCore
import TallySeededRandom

/// The fold's tables (`ByteHashTable`: targets, rule kinds, event ids) against
/// `Dictionary`, the reference: same lookups after any run of inserts and overwrites,
/// through growth, with keys of every length around the hash's eight-byte steps, non-ASCII
/// keys and keys that differ only in their last byte or their length.
struct RuleLogByteHashTableTests {
    typealias Numbers = SplitMix64

    static func key(_ r: inout Numbers) -> String {
        // "e\u{301}" is "é" decomposed: `String.==` (and so `Dictionary`) calls them equal.
        let alphabet = ["a", "b", "\u{0}", "é", "e\u{301}", "\u{1F}", "z"]
        return String((0..<r.next(19)).map { _ in Character(alphabet[r.next(alphabet.count)]) }.map { String($0) }.joined())
    }

    @Test func lookupsMatchADictionary() {
        for seed in 0..<40 {
            var r = Numbers(state: UInt64(seed))
            var table = ByteHashTable<String, Int32>()
            var reference: [String: Int32] = [:]
            if seed % 2 == 1 { table.reserve(r.next(300)) }
            for step in 0..<Int32(400) {
                let key = Self.key(&r)
                let probe = table.probe(key)
                #expect((probe.entry != nil) == (reference[key] != nil), "seed \(seed): \(key.debugDescription)")
                table.set(step, for: key, at: probe)
                reference[key] = step
                let other = Self.key(&r)
                #expect(table[other] == reference[other], "seed \(seed): \(other.debugDescription)")
            }
            #expect(table.count == reference.count)
            #expect(Dictionary(uniqueKeysWithValues: zip(table.keys, table.values)) == reference)
        }
    }

    /// The fold's check searches the clash index and the commit inserts at that search's
    /// probe, after editing other keys' values (an update unindexes its rule first): a
    /// probe must stay good across value edits, and `update(at:)` then equal a dictionary's.
    @Test func probesStayValidAcrossValueEdits() {
        for seed in 0..<40 {
            var r = Numbers(state: UInt64(seed) &+ 1_000)
            var table = ByteHashTable<String, [Int32]>()
            var reference: [String: [Int32]] = [:]
            for step in 0..<Int32(300) {
                let key = Self.key(&r)
                let probe = table.probe(key)
                // Edit a value already in the table, as unindexing does, between probe and insert.
                if let edited = reference.keys.sorted().first(where: { _ in r.next(3) == 0 }) {
                    table.updateIfPresent(edited) { $0.removeAll { $0 % 2 == 0 } }
                    reference[edited]?.removeAll { $0 % 2 == 0 }
                }
                table.update(key, at: probe, default: []) { $0.append(step) }
                reference[key, default: []].append(step)
                #expect(table[key] == reference[key], "seed \(seed): \(key.debugDescription)")
            }
            #expect(table.count == reference.count)
            #expect(Dictionary(uniqueKeysWithValues: zip(table.keys, table.values)) == reference)
        }
    }

    @Test func targetHashesDerivedFromNameHashesAreTheTargets() {
        // The fold probes with hashes it derives from names it hashed for another table
        // (`probe(_:hash:)`); a derivation that drifted from `byteHash` would find nothing.
        var r = Numbers(state: 77)
        for _ in 0..<500 {
            let service = Self.key(&r), name = Self.key(&r)
            #expect(RuleTarget.serviceHash(name: service.byteHash) == RuleTarget.service(service).byteHash)
            #expect(RuleTarget.fieldHash(service: service.byteHash, name: name.byteHash)
                    == RuleTarget.field(service: service, name: name).byteHash)
            #expect(RuleTarget.ruleHash(id: name.byteHash) == RuleTarget.rule(.mapping, name).byteHash)
            var table = ByteHashTable<RuleTarget, Int>()
            let target = RuleTarget.field(service: service, name: name)
            table.set(1, for: target)
            #expect(table.probe(target, hash: RuleTarget.fieldHash(service: service.byteHash, name: name.byteHash)).entry == 0)
        }
    }

    @Test func targetsOfEachKindAreDistinct() {
        var table = ByteHashTable<RuleTarget, Int32>()
        let targets: [RuleTarget] = [.group("a"), .service("a"), .field(service: "a", name: "b"),
                                     .field(service: "b", name: "a"), .field(service: "ab", name: ""),
                                     .rule(.mapping, "a"), .rule(.mapping, "b")]
        for (n, target) in targets.enumerated() { table.set(Int32(n), for: target) }
        for (n, target) in targets.enumerated() { #expect(table[target] == Int32(n)) }
        #expect(table[.field(service: "", name: "ab")] == nil)
        #expect(table.count == targets.count)
    }

    @Test func canonicallyEquivalentNamesAreOneKeyAsInADictionary() {
        var table = ByteHashTable<RuleTarget, Int32>()
        table.set(1, for: .group("caf\u{E9}"))
        #expect(table[.group("cafe\u{301}")] == 1)
        table.set(2, for: .rule(.mapping, "r-\u{212B}"))  // Ångström sign ≡ Å
        #expect(table[.rule(.mapping, "r-\u{C5}")] == 2)
        #expect(table.count == 2)
    }

    @Test func equalityIgnoresInsertionOrder() {
        var forward = ByteHashTable<String, Bool>()
        var backward = ByteHashTable<String, Bool>()
        let keys = (0..<100).map { "event-\($0)" }
        for key in keys { forward.set(true, for: key) }
        for key in keys.reversed() { backward.set(true, for: key) }
        #expect(forward == backward)
        #expect(forward.hashValue == backward.hashValue)
        backward.set(true, for: "event-100")
        #expect(forward != backward)
    }

    /// The hash as it was written first, a byte at a time: the reference for the word-wise
    /// `ByteHash` (whole words, the tail in at most three loads, the ASCII test folded in).
    static func referenceHash(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        var i = 0
        while i + 8 <= bytes.count {
            var word: UInt64 = 0
            for k in 0..<8 { word |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
            h = ByteHash.mix(h, word)
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        return ByteHash.mix(ByteHash.mix(h, tail), UInt64(bytes.count))
    }

    @Test func wordWiseHashesEqualTheByteAtATimeReference() {
        let seed: UInt64 = 0xB17E_5EED
        print("wordWiseHashesEqualTheByteAtATimeReference seed \(seed)")
        var r = Numbers(state: seed)
        var ascii = 0, other = 0
        for round in 0..<5_000 {
            let count = r.next(41)
            // Mostly ASCII; now and then one byte from 0x80 up, anywhere (a multi-byte
            // character's bytes are all from 0x80 up, so a lone one stands for any).
            var bytes = (0..<count).map { _ in UInt8(r.next(0x80)) }
            if count > 0 && round % 3 == 0 { bytes[r.next(count)] = 0x80 | UInt8(r.next(0x80)) }
            let isASCII = bytes.allSatisfy { $0 < 0x80 }
            let reference = Self.referenceHash(bytes)
            #expect(ByteHash.of(bytes) == reference, "round \(round): \(bytes)")
            let word = bytes.withUnsafeBytes { ByteHash.asciiHash($0) }
            #expect(word == (isASCII ? reference : nil), "round \(round): \(bytes)")
            if isASCII {
                // A small string, and the same text in a heap string (reserved beyond 15 bytes).
                let small = String(decoding: bytes, as: UTF8.self)
                var large = String()
                large.reserveCapacity(64)
                large.append(small)
                #expect(ByteHash.of(small) == reference && ByteHash.of(large) == reference, "round \(round): \(bytes)")
                ascii += 1
            } else {
                other += 1
            }
        }
        #expect(ascii > 2_000 && other > 1_000, "ascii \(ascii), other \(other)")
    }
}
