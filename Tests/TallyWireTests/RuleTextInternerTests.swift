import Testing
@testable import TallyWire
import TallySeededRandom

/// `RuleTextInterner` must give back exactly the text of the bytes it is handed, whatever it
/// held before: texts that share their first sixteen bytes, differ only in length or only
/// beyond sixteen bytes, non-ASCII UTF-8, and (with the hash masked to a few bits, so that
/// every text collides) long probe chains; and it stays bounded once full.
@Suite struct RuleTextInternerTests {
    static let seed: UInt64 = 0x1A7E_5A17_7E57

    /// Texts built to be told apart only by their length, their sixteenth byte or later.
    static func texts(_ rng: inout SplitMix64, count: Int) -> [String] {
        let stems = ["service-", "a", "group-name-with-sixteen", "field", "prix réduit é", "ü", "x"]
        var out: [String] = []
        for _ in 0..<count {
            var text = stems[rng.next(stems.count)]
            for _ in 0..<rng.next(24) { text.append(Character(Unicode.Scalar(UInt8(97 + rng.next(3))))) }
            out.append(text)
        }
        return out + ["0123456789abcdef", "0123456789abcdefg", "0123456789abcdeg", "0123456789abcde",
                      String(repeating: "r", count: RuleTextInterner.maxLength),
                      String(repeating: "r", count: RuleTextInterner.maxLength + 1)]
    }

    static func check(_ interner: RuleTextInterner, _ texts: [String]) {
        for text in texts {
            let bytes = Array(text.utf8)
            let got = bytes.withUnsafeBytes { interner.text($0) }
            #expect(Array(got.utf8) == bytes, "asked for \(text), got \(got)")
        }
    }

    @Test(arguments: [UInt64.max, 0, 0x3])
    func givesBackTheTextOfTheBytes(hashMask: UInt64) {
        print("RuleTextInternerTests seed \(Self.seed)")
        var rng = SplitMix64(seed: Self.seed)
        let interner = RuleTextInterner(hashMask: hashMask)
        let texts = Self.texts(&rng, count: hashMask == .max ? 3_000 : 400)
        Self.check(interner, texts)  // first sight: inserted
        Self.check(interner, texts.shuffled(using: &rng))  // again: found
        #expect(interner.count > 0 && interner.count <= RuleTextInterner.maxEntries)
    }

    @Test func staysBoundedOnceFull() {
        let interner = RuleTextInterner()
        let texts = (0..<(RuleTextInterner.maxEntries + 500)).map { "reason number \($0)" }
        Self.check(interner, texts)
        #expect(interner.count == RuleTextInterner.maxEntries)
        Self.check(interner, texts.reversed())
    }

    @Test func equalBytesGiveTheSameString() {
        let interner = RuleTextInterner()
        let long = Array("a reason longer than fifteen bytes".utf8)
        let first = long.withUnsafeBytes { interner.text($0) }
        let again = Array(long).withUnsafeBytes { interner.text($0) }
        // The same storage: one string object, not an equal copy.
        var a = first, b = again
        let same = a.withUTF8 { pa in b.withUTF8 { pb in pa.baseAddress == pb.baseAddress } }
        #expect(same)
    }

    /// The decoder's string maker builds short texts in place: the same text as
    /// `String(decoding:)`, invalid UTF-8 repaired alike.
    @Test func shortTextsAreBuiltAsStringDecodingBuildsThem() {
        var rng = SplitMix64(seed: Self.seed)
        let alphabet: [UInt8] = [0x61, 0x7A, 0x2D, 0x30, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xFF, 0x80, 0xF0, 0x9F]
        for _ in 0..<20_000 {
            let bytes = (0..<rng.next(20)).map { _ in alphabet[rng.next(alphabet.count)] }
            let made = bytes.withUnsafeBytes { RuleEventDirectDecoder.text($0) }
            let reference = String(decoding: bytes, as: UTF8.self)
            #expect(made == reference && Array(made.utf8) == Array(reference.utf8), "\(bytes)")
        }
    }

    /// The first words, loaded whole, are the copied prefix (zeros beyond the text): every
    /// length up to 40 (the word edges 4, 8, 15, 16 and 17 among them), ASCII and not, at
    /// every offset into a larger buffer.
    @Test func firstWordsAreTheCopiedPrefix() {
        var rng = SplitMix64(seed: Self.seed)
        for n in 0...40 {
            for offset in 0..<9 {
                for _ in 0..<20 {
                    let buffer = (0..<(offset + n + 8)).map { _ in UInt8(truncatingIfNeeded: rng.next(256)) }
                    buffer.withUnsafeBytes { raw in
                        let text = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)])
                        let loaded = RuleTextInterner.firstWords(text), copied = RuleTextInterner.firstWordsByCopy(text)
                        #expect(loaded == copied, "n \(n), offset \(offset)")
                    }
                }
            }
        }
    }
}
