import Testing
import TallyCore
import TallyCrypto
import TallyWire

/// Ed25519 over libcrypto against RFC 8032's test vector, and signed rule events: the
/// signature travels outside the hash, round-trips through the codec, and the audit tells
/// a trusted signature from an unsigned event, an unknown key and a forged signature.
@Suite struct RuleEventSigningTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    @Test func ed25519MatchesRFC8032TestVector1() throws {
        let key = try Ed25519PrivateKey(seed: Self.bytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        #expect(key.publicKey == Self.bytes("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        let signature = try key.sign([])
        #expect(signature == Self.bytes("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"))
        #expect(Ed25519.verify(publicKey: key.publicKey, message: [], signature: signature))
        #expect(!Ed25519.verify(publicKey: key.publicKey, message: [0], signature: signature))
        #expect(!key.description.contains("9d61b1"))
    }

    static func event(author: String) -> RuleEvent {
        RuleEvent(id: "e1", author: author, reason: "test", recordedAt: EventTime(micros: 0), start: EventTime(micros: 0),
                  change: .create(.group("compute"))).sealed(after: "")
    }

    @Test func aSignedEventKeepsItsHashAndRoundTrips() throws {
        let key = try Ed25519PrivateKey(seed: Ed25519PrivateKey.generateSeed())
        let plain = Self.event(author: "alice")
        let signed = try key.signed(plain)
        #expect(signed.hash == plain.hash && signed.computedHash() == plain.hash)
        let bytes = RuleEventCodec.encode(signed)
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"signature\":{\"key\":\"\(Ed25519.keyID(publicKey: key.publicKey))\""))
        let decoded = try RuleEventCodec.decode(bytes)
        #expect(decoded == signed && RuleEventCodec.isCanonical(bytes, of: decoded))
        var state = RuleLogState()
        #expect(state.apply(decoded, offset: 0) == .accepted)
    }

    @Test func theAuditTellsTrustedFromUnsignedUnknownAndForged() throws {
        let service = try Ed25519PrivateKey(seed: Ed25519PrivateKey.generateSeed())
        let stranger = try Ed25519PrivateKey(seed: Ed25519PrivateKey.generateSeed())
        let check = Ed25519SignatureCheck()
        let ring = try PublicKeyRing(text: "# trusted\ntally-serve \(Base64.encode(service.publicKey))\n", file: "keys", keyID: check.keyID)
        let plain = Self.event(author: "alice")
        #expect(RuleSignatureAudit.status(of: try service.signed(plain), ring: ring, check: check) == .signed(by: "tally-serve"))
        #expect(RuleSignatureAudit.status(of: plain, ring: ring, check: check) == .unsigned)
        let strangers = try stranger.signed(plain)
        #expect(RuleSignatureAudit.status(of: strangers, ring: ring, check: check) == .unknownKey(Ed25519.keyID(publicKey: stranger.publicKey)))
        // The service's signature moved onto an event whose author was changed (and resealed).
        var forged = Self.event(author: "mallory")
        forged.signature = try service.signed(plain).signature
        #expect(RuleSignatureAudit.status(of: forged, ring: ring, check: check) == .badSignature(key: Ed25519.keyID(publicKey: service.publicKey)))
        #expect(throws: RuleEventDecodingError.self) { try PublicKeyRing(text: "only-a-name\n", file: "keys", keyID: check.keyID) }
    }
}
