import Foundation
import Testing
@testable import TallyWire

@Suite struct JSONScannerTests {
    static func skip(_ text: String) throws(JSONSyntaxError) {
        let bytes = Array(text.utf8)
        let result: Result<Void, JSONSyntaxError> = bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            do throws(JSONSyntaxError) {
                try scanner.skipValue()
                try scanner.expectEnd()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// The unescaped text of the JSON string literal `literal`, by both unescaping paths.
    static func unescape(_ literal: String) throws -> (String, String) {
        let bytes = Array(literal.utf8)
        return try bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            let span = try scanner.readString()
            // Capacity 1 makes both paths grow their buffer.
            let scratch = ScratchBuffer(capacity: 1)
            let separate = String(decoding: JSONUnescaper.unescape(scanner.bytes(span.range), into: scratch), as: UTF8.self)
            var again = JSONScanner(raw)
            let fused = String(decoding: try again.readStringUnescaping(into: scratch), as: UTF8.self)
            return withExtendedLifetime(scratch) { (separate, fused) }
        }
    }

    @Test(arguments: [
        #"{}"#, #"[]"#, #"{"a": [1, -2.5e-3, 0, 0.0, 1E+2, true, false, null, "x", {"b": {}}]}"#, #" "s" "#,
        #"[NaN, Infinity, -Infinity]"#, "{\"a\"\t:\r\n1}", #""\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t""#,
    ])
    func acceptsValidJSON(text: String) throws {
        try Self.skip(text)
        if !text.contains("NaN") {
            #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) }
        }
    }

    @Test(arguments: [
        ("{", 1), (#"{"a" 1}"#, 5), (#"{"a": 1,}"#, 8), ("[1,]", 3), ("[1 2]", 3), ("01", 0), ("-", 1), ("1.", 2),
        ("1e", 2), (".5", 0), ("tru", 0), ("nul", 0), (#""abc"#, 0), (#""\x""#, 1), (#""\u12G4""#, 5),
        ("\"a\u{1}b\"", 2), ("{1: 2}", 1), ("[1] [2]", 4), ("", 0), ("+1", 0), ("'a'", 0),
    ])
    func rejectsInvalidJSONWithOffset(text: String, offset: Int) {
        #expect(throws: JSONSyntaxError.self) { try Self.skip(text) }
        do { try Self.skip(text) } catch { #expect(error.offset == offset, "\(text): \(error)") }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONSyntaxError.self) { try Self.skip(deep) }
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: Never.self) { try Self.skip(fine) }
    }

    @Test(arguments: [
        (#""plain""#, "plain"),
        (#""\u00e9quipe-donn\u00e9es""#, "équipe-données"),
        (#""\ud83d\ude00 smile""#, "😀 smile"),
        (#""quote \" backslash \\ slash \/ tab \t nl \n""#, "quote \" backslash \\ slash / tab \t nl \n"),
        (#""\u0041\u00df\u6771\uD834\uDD1E""#, "Aß東𝄞"),
        (#""a long string without escapes that spans several words""#, "a long string without escapes that spans several words"),
    ])
    func unescapesToUTF8(literal: String, expected: String) throws {
        let (separate, fused) = try Self.unescape(literal)
        #expect(separate == expected)
        #expect(fused == expected)
    }

    /// Issue 14 item 4: a lone surrogate used to become U+FFFD and be billed; it is refused now.
    @Test(arguments: [#""lone \ud800 high""#, #""lone \udc00 low""#, #""high then bmp \ud800\u0041""#,
                      #""high at the end \ud83d""#, #""two highs \ud83d\ud83d""#])
    func loneSurrogatesAreRefused(literal: String) throws {
        let bytes = Array(literal.utf8)
        try bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            #expect(throws: JSONSyntaxError.self) { _ = try scanner.readString() }
            var fused = JSONScanner(raw)
            #expect(throws: JSONSyntaxError.self) { _ = try fused.readStringUnescaping(into: ScratchBuffer(capacity: 1)) }
            var other = JSONScanner(raw)
            do throws(JSONSyntaxError) { _ = try other.readString() } catch { #expect(error.problem.contains("lone UTF-16"), "\(error)") }
        }
    }

    @Test func numberTokensKeepTheirSpelling() throws {
        let bytes = Array("[8, 8.0, 6.4e1, -0, NaN]".utf8)
        try bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            try scanner.beginArray()
            var first = true
            var tokens: [(String, Bool, Bool)] = []
            while try scanner.nextElement(&first) {
                let n = try scanner.readNumber()
                tokens.append((String(decoding: scanner.bytes(n.range), as: UTF8.self), n.isInteger, n.isNonFinite))
            }
            #expect(tokens.map(\.0) == ["8", "8.0", "6.4e1", "-0", "NaN"])
            #expect(tokens.map(\.1) == [true, false, false, true, false])
            #expect(tokens.map(\.2) == [false, false, false, false, true])
        }
    }
}
