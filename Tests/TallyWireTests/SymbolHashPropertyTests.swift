import Testing
@testable import TallyCore
@testable import TallyWire
import TallySeededRandom

/// The symbol hash's word loads and the decoder's recent-symbols cache held to plain
/// reference code on random bytes. The hash is persisted through `contentHash` (sample
/// digests), so its values must never change: the reference is the hash as it was
/// written before the tail was read in words, a byte at a time.
@Suite struct SymbolHashPropertyTests {
    /// The hash before the tail was read as a word: eight bytes per step, then the last
    /// 1–7 bytes one by one, then `avalanche`.
    static func referenceHash(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: bytes.count)
        var i = 0
        while i + 8 <= bytes.count {
            var word: UInt64 = 0
            for k in 0..<8 { word |= UInt64(bytes[i + k]) << UInt64(8 * k) }
            h = (h ^ word) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        if i < bytes.count {
            var tail: UInt64 = 0
            for k in i..<bytes.count { tail |= UInt64(bytes[k]) << UInt64(8 * (k - i)) }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        }
        return SymbolTable.avalanche(h)
    }

    @Test(arguments: 0..<4)
    func hashMatchesTheByteLoop(seed: Int) {
        var rng = SplitMix64(state: UInt64(seed) &* 0x2545_F491_4F6C_DD1D &+ 1)
        for _ in 0..<3_000 {
            let length = rng.int(0...40)
            // Inside a larger buffer at a random offset, so that loads that end at the last
            // byte are not also at the buffer's end, and bytes around the string differ.
            let before = rng.int(0...9), after = rng.int(0...9)
            let buffer = (0..<(before + length + after)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let text = Array(buffer[before..<(before + length)])
            let fast = buffer.withUnsafeBytes { SymbolTable.hash(UnsafeRawBufferPointer(rebasing: $0[before..<(before + length)])) }
            #expect(fast == Self.referenceHash(text), "\(text)")
            if length > 0 {
                // Where the hash's eight-byte steps may have stopped: 0 below eight bytes.
                let from = length < 8 ? 0 : rng.int((length - 7)...(length - 1))
                let word = buffer.withUnsafeBytes { SymbolTable.tailWord($0.baseAddress! + before, count: length, from: from) }
                #expect(word == buffer.withUnsafeBytes {
                    SymbolTable.tailWordReference($0.baseAddress! + before, count: length, from: from)
                }, "\(text) from \(from)")
            }
        }
    }

    /// Values persisted before the change (the hash of a few strings as session 30's code
    /// computed them), so that the reference itself cannot drift.
    @Test func hashKeepsItsPersistedValues() {
        #expect(Self.referenceHash(Array("network.incoming.bytes".utf8))
                == Array("network.incoming.bytes".utf8).withUnsafeBytes { SymbolTable.hash($0) })
        #expect(SymbolTable.hash(UnsafeRawBufferPointer(start: nil, count: 0)) == Self.referenceHash([]))
        for (text, value) in Self.pinned {
            #expect(Array(text.utf8).withUnsafeBytes { SymbolTable.hash($0) } == value, "\(text)")
        }
    }

    static let pinned: [(String, UInt64)] = [
        ("", 0x9CA0_66F1_A4AB_2EEA), ("a", 0x0FC2_062C_6D8C_8720), ("ns", 0x1B00_D920_2192_ABFB),
        ("cpu", 0x9D51_7F8D_2604_C8E0), ("vcpu", 0x04F0_829C_8953_C003), ("alice", 0x34BF_9663_CB7C_1417),
        ("openstack", 0x5964_F087_3D82_DAB1), ("network.incoming.bytes", 0x9D04_0B43_510E_DC66),
        ("6ad0b5f496726c56bb5e2be8bc95ba5d", 0xE0EA_CEE9_6D2A_0400),
        ("f78c3351-ec4f-4593-87ff-263e76621e55", 0x9909_58C7_4F15_4503), ("\u{e9}quipe-donn\u{e9}es", 0xF369_4AA0_7999_9A0F),
    ]

    /// Strings that differ in one byte (the last bytes included, which are compared by an
    /// overlapping word) are distinct symbols; equal ones the same.
    @Test(arguments: 0..<2)
    func internSeparatesStringsThatDifferInOneByte(seed: Int) {
        var rng = SplitMix64(state: UInt64(seed) &+ 77)
        let table = SymbolTable(expectedSymbols: 8)
        for _ in 0..<2_000 {
            let length = rng.int(1...40)
            let a = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.int(97...99)) }
            var b = a
            let at = rng.int(0...(length - 1))
            b[at] = b[at] == 97 ? 98 : 97
            let sa = a.withUnsafeBytes { table.intern($0) }, sb = b.withUnsafeBytes { table.intern($0) }
            #expect(sa != sb)
            #expect(a.withUnsafeBytes { table.intern($0) } == sa && b.withUnsafeBytes { table.lookup($0) } == sb)
        }
    }

    /// The cache answers what the table answers, and the table ends with the same ids as
    /// a table fed directly: random strings from a small alphabet (so entries collide and
    /// are replaced), meter-like names that share their first and last eight bytes, and
    /// strings longer than the cache keeps.
    @Test(arguments: 0..<4)
    func recentSymbolsAnswerAsTheTable(seed: Int) {
        var rng = SplitMix64(state: UInt64(seed) &* 31 &+ 5)
        let cached = SymbolTable(expectedSymbols: 8), direct = SymbolTable(expectedSymbols: 8)
        let recent = RecentSymbols(symbols: cached)
        let middles = ["incoming", "outgoing", "xncoming", "incominx", "in", "out", ""]
        for _ in 0..<6_000 {
            let text: [UInt8]
            if rng.int(0...1) == 0 {
                text = Array("network.\(middles[rng.int(0...(middles.count - 1))]).bytes".utf8)
            } else {
                text = (0..<rng.int(0...40)).map { _ in UInt8(truncatingIfNeeded: rng.int(97...98)) }
            }
            let fast = text.withUnsafeBytes { recent.intern($0) }
            #expect(fast == text.withUnsafeBytes { direct.intern($0) }, "\(String(decoding: text, as: UTF8.self))")
        }
        #expect(cached.count == direct.count)
    }

    /// Names that share their first and last eight bytes take different entries, so
    /// alternating between them does not miss at every sample.
    @Test func namesThatShareHeadAndTailDoNotEvictEachOther() {
        let table = SymbolTable()
        let recent = RecentSymbols(symbols: table)
        let names = ["network.incoming.bytes", "network.outgoing.bytes"].map { Array($0.utf8) }
        for _ in 0..<3 { for name in names { _ = name.withUnsafeBytes { recent.intern($0) } } }
        #expect(recent.misses == 2)
    }
}
