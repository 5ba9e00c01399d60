import Foundation
import Testing
import TallyCore
import TallyCrypto
@testable import TallyWire

/// Ceilometer's `message_signature`, checked against the fixture's real signatures
/// (made by ceilometer 27.0.0 with the secret in the fixture README).
@Suite struct SignatureTests {
    static let secret = Array("tally-fixture-secret".utf8)

    static func decoder(secret: [UInt8] = SignatureTests.secret, inPlace: Bool = true) throws -> (CeilometerDecoder, SymbolTable) {
        let symbols = SymbolTable()
        let decoder = CeilometerDecoder(symbols: symbols, options: DecoderOptions(signatures: try HMACSHA256(key: secret)))
        decoder.readsMessageInPlace = inPlace
        return (decoder, symbols)
    }

    static func decode(_ bytes: [UInt8], _ decoder: CeilometerDecoder, _ symbols: SymbolTable) -> Outcome {
        decodeRecord(bytes, with: { (r, e, j) throws(RecordDecodeError) in try decoder.decode(r, emit: e, reject: j) },
                     symbols: symbols)
    }

    @Test(arguments: [true, false])
    func everyFixtureSampleVerifies(inPlace: Bool) throws {
        let (decoder, symbols) = try Self.decoder(inPlace: inPlace)
        var emitted = 0
        var rejections: [SampleRejection] = []
        for record in Fixture.records {
            let outcome = Self.decode(record, decoder, symbols)
            #expect(outcome.error == nil)
            emitted += outcome.samples.count
            rejections += outcome.rejections
        }
        #expect(emitted == 1254)
        #expect(rejections.isEmpty, "\(rejections.prefix(3))")
    }

    @Test func aWrongSecretRejectsEverySample() throws {
        let (decoder, symbols) = try Self.decoder(secret: Array("not-the-secret".utf8))
        for record in Fixture.records.prefix(20) {
            let outcome = Self.decode(record, decoder, symbols)
            #expect(outcome.samples.isEmpty)
            #expect(!outcome.rejections.isEmpty)
            #expect(outcome.rejections.allSatisfy { $0.reason == .badSignature })
        }
    }

    /// One sample of a real record altered: only that sample is refused.
    @Test(arguments: [
        (#"\"counter_volume\": "#, "volume"),
        (#"\"project_id\": \""#, "project"),
        (#"\"flavor_name\": \""#, "nested metadata"),
        (#"\"attachments\": [{"#, "a dict inside a list"),
    ])
    func tamperingWithOneSampleIsCaught(marker: String, what: String) throws {
        let (decoder, symbols) = try Self.decoder()
        let needle = Array(marker.utf8)
        guard let (record, at) = Fixture.records.lazy.compactMap({ r -> ([UInt8], Int)? in
            guard let i = Self.find(needle, in: r), Self.find(needle, in: r, from: i + 1) != nil else { return nil }
            return (r, i)
        }).first else { Issue.record("no fixture record has two \(what) fields"); return }
        var tampered = record
        // Change the first character of the value after the marker (a digit or a letter).
        let target = at + needle.count + (what == "a dict inside a list" ? 2 : 0)
        tampered[target] = tampered[target] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        let good = Self.decode(record, decoder, symbols)
        let outcome = Self.decode(tampered, decoder, symbols)
        #expect(outcome.error == nil)
        #expect(outcome.rejections.count == 1, "\(what): \(outcome.rejections)")
        #expect(outcome.rejections.first?.reason == .badSignature)
        #expect(outcome.samples.count == good.samples.count - 1)
    }

    @Test func aMissingOrNonStringSignatureIsRefused() throws {
        let (decoder, symbols) = try Self.decoder()
        let missing = Self.decode(Array(Ceilometer.record([Ceilometer.sample(["message_signature": "<omit>"])]).utf8), decoder, symbols)
        #expect(missing.rejections.map(\.reason) == [.badSignature])
        #expect(missing.rejections.first?.detail.contains("has no message_signature") == true)
        let number = Self.decode(Array(Ceilometer.record([Ceilometer.sample(["message_signature": "42"])]).utf8), decoder, symbols)
        #expect(number.rejections.map(\.reason) == [.badSignature])
        let forged = Self.decode(Array(Ceilometer.record([Ceilometer.sample(["message_signature": "\"" + String(repeating: "ab", count: 32) + "\""])]).utf8), decoder, symbols)
        #expect(forged.rejections.map(\.reason) == [.badSignature])
    }

    /// A sample signed here, with an object past the insertion-sort size, verifies; the
    /// same object with two values swapped does not (so the keys really are sorted).
    @Test func largeObjectsSignAndVerify() throws {
        let mac = try HMACSHA256(key: Self.secret)
        let keys = (0..<200).map { "k\(($0 * 7919) % 200)" }  // not in order
        let metadata = "{" + keys.enumerated().map { "\"\($1)\": \($0)" }.joined(separator: ", ") + "}"
        let sample = Ceilometer.sample(["message_signature": "<omit>"], metadata: metadata)
        let signature = try #require(CeilometerSigner(authenticator: mac).signature(ofSample: Array(sample.utf8)))
        let signed = String(sample.dropLast()) + ", \"message_signature\": \"\(signature)\"}"
        let (decoder, symbols) = try Self.decoder()
        #expect(Self.decode(Array(Ceilometer.record([signed]).utf8), decoder, symbols).samples.count == 1)
        let swapped = signed.replacingOccurrences(of: "\"\(keys[0])\": 0,", with: "\"\(keys[0])\": 1,")
            .replacingOccurrences(of: "\"\(keys[1])\": 1,", with: "\"\(keys[1])\": 0,")
        #expect(swapped != signed)
        #expect(Self.decode(Array(Ceilometer.record([swapped]).utf8), decoder, symbols).rejections.map(\.reason) == [.badSignature])
    }

    @Test func withoutASecretNothingIsChecked() {
        let outcome = decodeCeilometer(Ceilometer.record([Ceilometer.sample(["message_signature": "<omit>"])]))
        #expect(outcome.rejections.isEmpty)
        #expect(outcome.samples.count == 1)
    }

    /// The decode thread's decoders take a copy (a MAC context of their own): it must give the
    /// original's MACs, and using one must not disturb the other; another key must differ.
    @Test func anIndependentCopyAuthenticatesWithTheSameKey() throws {
        let mac = try HMACSHA256(key: Self.secret)
        let copy = try mac.independentCopy()
        #expect(copy !== mac)
        func digest(_ m: MessageAuthenticator, _ text: String) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: 32)
            Array(text.utf8).withUnsafeBytes { message in out.withUnsafeMutableBufferPointer { m.authenticate(message, into: $0.baseAddress!) } }
            return out
        }
        let messages = ["", "a", String(repeating: "ceilometer ", count: 200)]
        let expected = messages.map { digest(mac, $0) }
        for (i, text) in messages.enumerated() {
            #expect(digest(copy, text) == expected[i])
            #expect(digest(mac, text) == expected[i])
        }
        #expect(digest(try HMACSHA256(key: Array("another".utf8)), "a") != expected[1])
    }

    @Test func theAuthenticatorNeverPrintsItsKey() throws {
        let mac = try HMACSHA256(key: Self.secret)
        #expect(!"\(mac)".contains("tally-fixture-secret"))
        #expect(!String(reflecting: mac).contains("tally-fixture-secret"))
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int = 0) -> Int? {
        guard haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        for i in from...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}
