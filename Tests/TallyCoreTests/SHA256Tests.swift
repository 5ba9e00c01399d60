import Testing
@testable import TallyCore

@Suite struct SHA256Tests {
    // Known answers from FIPS 180-4's examples and common test vectors.
    @Test func knownAnswers() {
        #expect(SHA256.hex(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalEqualsOneShot() {
        let text = Array("The quick brown fox jumps over the lazy dog, sixty-four bytes and then some more.".utf8)
        var h = SHA256()
        h.update(text[..<10]); h.update(text[10..<63]); h.update(text[63...])
        #expect(Hex.encode(h.finalize()) == SHA256.hex(text))
    }

    /// libcrypto's digests must be byte-identical to the portable reference, so frames and
    /// rule events hashed by earlier versions still verify: every length around the block
    /// and padding edges, one-shot and fed in uneven pieces.
    @Test func libcryptoEqualsThePortableReference() {
        var bytes: [UInt8] = []
        for length in 0...300 {
            #expect(SHA256.hex(bytes) == PortableSHA256.hex(bytes), "length \(length)")
            var pieces = SHA256()
            var at = 0, step = 1
            while at < bytes.count {
                let end = min(bytes.count, at + step)
                pieces.update(bytes[at..<end])
                at = end; step = step * 3 % 67 + 1
            }
            #expect(Hex.encode(pieces.finalize()) == PortableSHA256.hex(bytes), "pieces, length \(length)")
            bytes.append(UInt8(truncatingIfNeeded: length &* 131 &+ 7))
        }
    }

    @Test func hexPrefixIsTheDigestsFirstBytes() {
        let data = Array("frame identity".utf8)
        let full = SHA256.hex(data)
        #expect(data.withUnsafeBytes { SHA256.hex(buffer: $0, prefixBytes: 16) } == String(full.prefix(32)))
    }
}
