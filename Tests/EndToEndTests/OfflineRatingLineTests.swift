import Testing
import TallySeededRandom
@testable import TallyRater

/// `tally rate` sorts each line to its format by looking for `"oslo.message"` or
/// `"payload"` in it (`OfflineRating.contains`: `ByteSearch`, glibc's `memmem`): held against a plain
/// search on edge cases and on random lines over a small alphabet, so that near misses,
/// overlapping starts and needles at either end are common.
@Suite struct OfflineRatingLineTests {
    /// The random lines' seed (`SplitMix64`): printed, and named by every failure, so that
    /// a failing line repeats with it.
    static let seed: UInt64 = 0x7A11_7A7E

    /// The reference: every start position compared byte by byte.
    static func plainContains(_ line: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, line.count >= needle.count else { return false }
        return (0...(line.count - needle.count)).contains { Array(line[$0..<($0 + needle.count)]) == needle }
    }

    @Test func edgeCases() {
        let needle = Array(#""payload""#.utf8)
        let cases: [(String, Bool)] = [
            ("", false), ("\"", false), (#""payload"#, false), (#""payload""#, true),
            (#"x"payload""#, true), (#""payload"x"#, true), (#"""payload""#, true),
            (#""paylo"payload""#, true), (#"{"payloa":1,"payload":[]}"#, true), (#"{"Payload":[]}"#, false),
        ]
        for (text, expected) in cases {
            let line = Array(text.utf8)
            #expect(OfflineRating.contains(line, #""payload""#) == expected, "\(text)")
            #expect(Self.plainContains(line, needle) == expected, "\(text)")
        }
    }

    @Test func randomLinesAgreeWithAPlainSearch() {
        print("OfflineRatingLineTests: random lines from seed \(Self.seed)")
        var rng = SplitMix64(seed: Self.seed)
        let alphabet = Array(#""oslo.mesagpyd"#.utf8)
        for _ in 0..<5_000 {
            let line = (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            #expect(OfflineRating.contains(line, #""oslo.message""#) == Self.plainContains(line, Array(#""oslo.message""#.utf8)),
                    "seed \(Self.seed): \(String(decoding: line, as: UTF8.self))")
            #expect(OfflineRating.contains(line, #""payload""#) == Self.plainContains(line, Array(#""payload""#.utf8)),
                    "seed \(Self.seed): \(String(decoding: line, as: UTF8.self))")
        }
        // Lines built to contain the needle somewhere.
        for _ in 0..<1_000 {
            let noise = { (0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! } }
            let line = noise() + Array(#""oslo.message""#.utf8) + noise()
            #expect(OfflineRating.contains(line, #""oslo.message""#), "seed \(Self.seed): \(String(decoding: line, as: UTF8.self))")
        }
    }

    /// Either key (`isCeilometer`), against the plain search for either, on random
    /// lines long enough for several eight-byte words and a tail, with the needles planted at
    /// every alignment.
    @Test func ceilometerLinesAgreeWithAPlainSearchForEitherKey() {
        print("OfflineRatingLineTests: random lines from seed \(Self.seed &+ 1)")
        var rng = SplitMix64(seed: Self.seed &+ 1)
        let alphabet = Array(#""oslo.mesagpyd"#.utf8)
        let oslo = Array(#""oslo.message""#.utf8), payload = Array(#""payload""#.utf8)
        func plain(_ line: [UInt8]) -> Bool { Self.plainContains(line, oslo) || Self.plainContains(line, payload) }
        for _ in 0..<5_000 {
            let line = (0..<Int.random(in: 0...70, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            #expect(OfflineRating.isCeilometer(line) == plain(line), "seed \(Self.seed &+ 1): \(String(decoding: line, as: UTF8.self))")
        }
        for shift in 0..<17 {
            for needle in [oslo, payload, Array(oslo.dropLast()), Array(payload.dropLast())] {
                let noise = (0..<Int.random(in: 0...20, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
                let line = Array(repeating: UInt8(ascii: "x"), count: shift) + needle + noise
                #expect(OfflineRating.isCeilometer(line) == plain(line), "seed \(Self.seed &+ 1): \(String(decoding: line, as: UTF8.self))")
            }
        }
    }
}
