import Testing
@testable import TallyWire
import TallySeededRandom

/// `SampleFormatSniffer.isCloudEvent` answers from a `memmem` for `"specversion"` when the
/// bytes are absent, and walks the keys otherwise: on random records, with the key placed
/// at the top level, nested, as a value, escaped, cut short or damaged, it must answer as
/// the key walk alone does.
@Suite struct FormatSnifferPrefilterTests {
    static let pieces = [
        #""specversion": "1.0""#, #""spec\u0076ersion": "1.0""#, #""x": "specversion""#,
        #""data": {"specversion": "1.0"}"#, #""specversio": 1"#, #""pecversion": 2"#,
        #""id": "7c1e""#, #""volume": 1.5"#, #""metadata": {"flavor": "m1"}"#, #""list": [1, "specversion"]"#,
        #""specversion"  :  null"#, #""SPECVERSION": "1.0""#, #""t": true"#,
    ]

    static func record(_ rng: inout SplitMix64) -> String {
        var members: [String] = []
        for _ in 0..<rng.int(0...5) { members.append(pieces[rng.next(pieces.count)]) }
        var text = "{" + members.joined(separator: rng.next(2) == 0 ? ", " : ",") + "}"
        switch rng.next(8) {
        case 0: text = String(text.prefix(rng.int(0...text.count)))  // cut short
        case 1: text = "[" + text + "]"  // not an object
        case 2: text = "  " + text  // leading whitespace
        default: break
        }
        return text
    }

    @Test func thePrefilterAnswersAsTheKeyWalk() {
        var rng = SplitMix64(seed: 31)
        var cloudEvents = 0, native = 0
        for _ in 0..<20_000 {
            let bytes = Array(Self.record(&rng).utf8)
            bytes.withUnsafeBytes { raw in
                let walked = SampleFormatSniffer.hasSpecversionKey(raw)
                #expect(SampleFormatSniffer.isCloudEvent(raw) == walked, "\(String(decoding: bytes, as: UTF8.self))")
                if walked { cloudEvents += 1 } else { native += 1 }
            }
        }
        // Both answers occur often enough for the comparison to mean something.
        #expect(cloudEvents > 1_000)
        #expect(native > 1_000)
    }

    @Test func anEmptyRecordIsNative() {
        #expect(!SampleFormatSniffer.isCloudEvent(UnsafeRawBufferPointer(start: nil, count: 0)))
        #expect(!SampleFormatSniffer.mayHoldSpecversionKey(UnsafeRawBufferPointer(start: nil, count: 0)))
    }
}
