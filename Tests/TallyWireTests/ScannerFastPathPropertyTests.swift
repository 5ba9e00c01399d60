import Testing
@testable import TallyWire

/// The scanner's token fast paths held to its general paths on random input: plain
/// integers read inline against the full number grammar (`readNumberInFull`), and the
/// `", "` / `": "` separators stepped over whole against the whitespace-skipping path.
@Suite struct ScannerFastPathPropertyTests {
    typealias Rng = RoundTripTests.Rng

    /// What reading did: the spans it returned, or the error, and where the scanner ended.
    enum Outcome: Equatable {
        case read([Range<Int>], end: Int)
        case failed(offset: Int, problem: String)
    }

    static func number(_ bytes: [UInt8], from start: Int, full: Bool) -> (JSONNumberSpan?, Outcome) {
        bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            scanner.position = start
            do throws(JSONSyntaxError) {
                let span = full ? try scanner.readNumberInFull(RawJSONText.self) : try scanner.readNumber(RawJSONText.self)
                return (span, .read([span.range], end: scanner.position))
            } catch {
                return (nil, .failed(offset: error.offset, problem: error.problem))
            }
        }
    }

    /// Number-like tokens (leading zeros, signs, fractions, exponents, Python's non-finite
    /// spellings, stray letters) at every offset after a few bytes of padding, followed by
    /// each kind of byte that can end or continue a number, or by the end of the input.
    @Test(arguments: 0..<4)
    func integerFastPathAgreesWithTheFullGrammar(seed: Int) {
        var rng = Rng(state: UInt64(seed) &* 0x9F1 &+ 3)
        let pieces = ["0", "00", "7", "12", "1234567890123", "-", "-0", ".", ".5", "e", "E+", "e-", "3", "NaN",
                      "Infinity", "-Infinity", "x", "+", ""]
        let enders = [",", "}", "]", " ", ".", "e", "E", "0", "9", "a", "\"", ""]
        var fast = 0
        for _ in 0..<3_000 {
            let pad = String(repeating: [" ", "[", ":"][rng.int(0...2)], count: rng.int(0...3))
            let token = (0..<rng.int(1...3)).map { _ in pieces[rng.int(0...(pieces.count - 1))] }.joined()
            let text = Array((pad + token + enders[rng.int(0...(enders.count - 1))]).utf8)
            for start in 0..<max(1, min(text.count, pad.utf8.count + 1)) {
                let (span, outcome) = Self.number(text, from: start, full: false)
                let (fullSpan, fullOutcome) = Self.number(text, from: start, full: true)
                #expect(outcome == fullOutcome, "\(String(decoding: text, as: UTF8.self)) from \(start)")
                #expect(span?.isInteger == fullSpan?.isInteger && span?.isNonFinite == fullSpan?.isNonFinite)
                if span?.isInteger == true { fast += 1 }
            }
        }
        #expect(fast > 600)
    }

    /// Walks one object with `nextMember` and `skipValue`, as the decoders do.
    static func members(_ bytes: [UInt8], escaped: Bool) -> Outcome {
        bytes.withUnsafeBytes { raw in
            let detector = DuplicateKeyDetector()
            detector.reset()
            var scanner = JSONScanner(raw, quoteIsEscaped: escaped, keys: detector)
            var keys: [Range<Int>] = []
            do throws(JSONSyntaxError) {
                try scanner.beginObject()
                var first = true
                while let key = try scanner.nextMember(&first) {
                    keys.append(key.range)
                    try scanner.skipValue()
                }
                try scanner.expectEnd()
                return .read(keys, end: scanner.position)
            } catch {
                return .failed(offset: error.offset, problem: error.problem)
            }
        }
    }

    /// Random objects written with `", "` and `": "` (what the fast path takes), `","` and
    /// `":"`, and extra spaces, some of them damaged (a byte other than a quote dropped or
    /// replaced, so that no separator's space ends up inside a string). The same text with a
    /// tab where a separator's space was has the same length and offsets but must go
    /// through the general path: both must read the same keys or fail alike. And read
    /// escaped in place, the text must give the same verdict as read raw.
    @Test(arguments: 0..<4)
    func separatorFastPathAgreesWithTheGeneralPath(seed: Int) {
        var rng = Rng(state: UInt64(seed) &* 0xC0FFEE &+ 11)
        let names = ["a", "id", "host", "vcpus", "flavor", "image_ref", "resource_metadata", "k"]
        let values = ["1", "0", "-2.5e3", "null", "true", "\"x\"", "\"cmp-01\"", "{}", "[]", "[1, 2]", "{\"n\": 1}"]
        var read = 0, failed = 0
        for _ in 0..<3_000 {
            var spaced = "{", tabbed = "{"
            func separator(_ mark: String) {
                switch rng.int(0...4) {
                case 0: spaced += mark; tabbed += mark
                case 1: spaced += " " + mark + " "; tabbed += " " + mark + "\t"
                case 2: spaced += mark + "  "; tabbed += mark + "\t "
                default: spaced += mark + " "; tabbed += mark + "\t"
                }
            }
            var used = Set<String>()
            for i in 0..<rng.int(0...8) {
                if i > 0 { separator(",") }
                var name = names[rng.int(0...(names.count - 1))]
                if used.contains(name) { name += "\(i)" }
                used.insert(name)
                spaced += "\"\(name)\""; tabbed += "\"\(name)\""
                separator(":")
                let value = values[rng.int(0...(values.count - 1))]
                spaced += value; tabbed += value
            }
            spaced += "}"; tabbed += "}"
            var a = Array(spaced.utf8), b = Array(tabbed.utf8)
            #expect(a.count == b.count)
            switch rng.int(0...5) {
            case 0 where a.count > 1:
                let i = rng.int(0...(a.count - 1))
                if a[i] != UInt8(ascii: "\"") { a.remove(at: i); b.remove(at: i) }
            case 1 where a.count > 1:
                let i = rng.int(0...(a.count - 1)), c = Array(";:,{ }x".utf8)[rng.int(0...6)]
                if a[i] != 0x20 && a[i] != UInt8(ascii: "\"") { a[i] = c; b[i] = c }
            default: break
            }
            let outcome = Self.members(a, escaped: false)
            #expect(outcome == Self.members(b, escaped: false),
                    "\(String(decoding: a, as: UTF8.self)) / \(String(decoding: b, as: UTF8.self))")
            var escaped: [UInt8] = []
            for c in a {
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { escaped.append(UInt8(ascii: "\\")) }
                escaped.append(c)
            }
            let inPlace = Self.members(escaped, escaped: true)
            switch (outcome, inPlace) {
            case let (.read(rawKeys, _), .read(escapedKeys, _)):
                let rawNames = rawKeys.map { String(decoding: a[$0], as: UTF8.self) }
                let escapedNames = escapedKeys.map { String(decoding: escaped[$0], as: UTF8.self) }
                #expect(rawNames == escapedNames)
                read += 1
            case (.failed, .failed): failed += 1
            default: Issue.record("raw \(outcome), escaped \(inPlace): \(String(decoding: a, as: UTF8.self))")
            }
        }
        #expect(read > 1_000 && failed > 300)
    }
}
