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
}
