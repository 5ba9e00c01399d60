import Testing
@testable import TallyCore

/// The value and scope tables index by the low bits of `ByteText.hash`: texts that differ
/// only in their last bytes ("m1.flavor12", "acct-1234") must still spread over them, or
/// a lookup walks one long probe chain (before the fold, 30 of 40 flavors shared one slot).
@Suite struct ByteTextHashTests {
    private func buckets(_ texts: [String], bits: Int) -> Int {
        Set(texts.map { text -> UInt64 in
            var t = text
            return t.withUTF8 { ByteText.hash(UnsafeRawBufferPointer($0)) } & ((1 << UInt64(bits)) - 1)
        }).count
    }

    @Test func textsDifferingInTheirLastBytesSpreadOverTheLowBits() {
        let flavors = (0..<40).map { "m1.flavor\($0)" }         // 10–11 bytes
        let scopes = (0..<1_000).map { "acct-\($0)" }            // 6–8 bytes
        let long = (0..<200).map { "f266f30b11f246b589fd266f85ee\($0)" }  // 29–31 bytes
        // Uniform hashing fills ~34 of 128 buckets with 40 texts, ~790 of 2048 with 1,000,
        // ~165 of 512 with 200 (this hash: 36, 788, 176); the old fold gave 2, 66 and 3.
        #expect(buckets(flavors, bits: 7) >= 25)
        #expect(buckets(scopes, bits: 11) >= 700)
        #expect(buckets(long, bits: 9) >= 140)
    }
}
