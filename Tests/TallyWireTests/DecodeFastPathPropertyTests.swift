import Testing
import TallyCore
@testable import TallyWire

/// The decoder's fast paths held to plain reference code on random input: the UUID
/// parse (digit runs, no per-byte dash test) against a nibble-by-nibble loop, the
/// duplicate-key detector (128-bit seen mask, short-key fingerprints) against a set of
/// each object's unescaped keys, the string scan (16 and 8 bytes at a time) against a
/// byte loop, and the key tables' word compares against `==` on the bytes.
@Suite struct DecodeFastPathPropertyTests {
    typealias Rng = RoundTripTests.Rng

    /// The UUID's 128 bits read one character at a time, dashes where `8-4-4-4-12` has them.
    static func referenceUUID(_ text: [UInt8]) -> SampleKey? {
        guard text.count == 36 || text.count == 32 else { return nil }
        let dashes: Set<Int> = text.count == 36 ? [8, 13, 18, 23] : []
        var nibbles: [UInt64] = []
        for (i, c) in text.enumerated() {
            if dashes.contains(i) {
                guard c == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard let v = Int(String(UnicodeScalar(c)), radix: 16) else { return nil }
            nibbles.append(UInt64(v))
        }
        let high = nibbles[..<16].reduce(0) { $0 << 4 | $1 }, low = nibbles[16...].reduce(0) { $0 << 4 | $1 }
        return SampleKey(high: high, low: low)
    }

    @Test(arguments: 0..<4)
    func uuidParseMatchesTheReference(seed: Int) {
        var rng = Rng(state: UInt64(seed) &* 0x1234_5678_9ABC)
        // Hex digits of both cases, and the bytes just outside each hex range.
        let hex = Array("0123456789abcdefABCDEF".utf8)
        let near = Array("/:@G`g-xX ".utf8) + [0x00, 0x7F, 0x80, 0xFF]
        var parsed = 0
        for _ in 0..<4_000 {
            let dashed = rng.int(0...1) == 1
            var text = (0..<(dashed ? 36 : 32)).map { _ in hex[rng.int(0...(hex.count - 1))] }
            if dashed { for i in [8, 13, 18, 23] { text[i] = UInt8(ascii: "-") } }
            for _ in 0..<rng.int(0...2) where rng.int(0...1) == 1 {
                text[rng.int(0...(text.count - 1))] = near[rng.int(0...(near.count - 1))]
            }
            if rng.int(0...9) == 0 { text.removeLast(rng.int(1...4)) }
            let fast = text.withUnsafeBytes { SampleKey.uuid($0) }
            let reference = Self.referenceUUID(text)
            #expect(fast == reference, "\(String(decoding: text, as: UTF8.self))")
            if reference != nil { parsed += 1 }
        }
        #expect(parsed > 1_000 && parsed < 4_000)  // both outcomes were exercised
    }

    /// Whether `text` (one JSON value) is refused for a repeated key: by the scanner with
    /// the detector, reading it raw and, as the in-place path does, escaped once more.
    static func detectorRefuses(_ text: String) -> (raw: Bool, escaped: Bool) {
        func refuses(_ bytes: [UInt8], quoteIsEscaped: Bool) -> Bool {
            bytes.withUnsafeBytes { raw in
                let detector = DuplicateKeyDetector()
                detector.reset()
                var scanner = JSONScanner(raw, quoteIsEscaped: quoteIsEscaped, keys: detector)
                do throws(JSONSyntaxError) {
                    try scanner.skipValue()
                    try scanner.expectEnd()
                    return false
                } catch {
                    #expect(error.problem.hasPrefix("duplicate key"), "\(error) in \(text)")
                    return true
                }
            }
        }
        var escaped = ""
        for c in text {
            switch c {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            default: escaped.append(c)
            }
        }
        return (refuses(Array(text.utf8), quoteIsEscaped: false), refuses(Array(escaped.utf8), quoteIsEscaped: true))
    }

    @Test(arguments: 0..<4)
    func duplicateKeysAreFoundExactlyWhenTheReferenceFindsThem(seed: Int) {
        var rng = Rng(state: UInt64(seed) &+ 0xD0D0)
        // Short keys (the 4-to-7-byte loads), long ones sharing first and last bytes, and
        // escaped spellings of the same text (`\u0061` is `a`).
        let names = ["a", "id", "ram", "name", "host", "vcpus", "status", "os_type", "image_ref", "flavor_id",
                     "counter_name", "counter_type", "counter_unit", "resource_metadata", "resource_metadata_x"]
        func spelled(_ name: String) -> String {
            rng.int(0...5) == 0 ? name.replacingOccurrences(of: "a", with: #"\u0061"#) : name
        }
        var refused = 0
        for round in 0..<600 {
            // One object of up to 45 keys (past the linear limit of 32), keys drawn from
            // the names plus numbered ones; a nested object with its own keys in the middle.
            let count = rng.int(0...45)
            var keys: [String] = []
            for _ in 0..<count {
                keys.append(rng.int(0...2) == 0 ? "k\(rng.int(0...60))" : names[rng.int(0...(names.count - 1))])
            }
            if round % 2 == 0 { keys = Array(Set(keys)) }  // half the objects have no repeat at all
            var members = keys.map { "\"\(spelled($0))\": \(rng.int(0...9))" }
            let inner = (0..<rng.int(0...6)).map { _ in names[rng.int(0...(names.count - 1))] }
            members.insert("\"nested\": {" + inner.map { "\"\(spelled($0))\": null" }.joined(separator: ", ") + "}",
                           at: rng.int(0...members.count))
            let text = "{" + members.joined(separator: ", ") + "}"
            let expected = Set(keys + ["nested"]).count < keys.count + 1 || Set(inner).count < inner.count
            let found = Self.detectorRefuses(text)
            #expect(found.raw == expected, "\(text)")
            #expect(found.escaped == expected, "escaped: \(text)")
            if expected { refused += 1 }
        }
        #expect(refused > 100 && refused < 500)
    }

    /// Random buffers of every length up to 70 (so every alignment and every tail), plain
    /// bytes with the bytes that must stop a scan (`"`, `\`, control bytes, non-ASCII lead
    /// and continuation bytes) and their neighbours (0x1F/0x20, 0x7F/0x80, 0x21, 0x5B/0x5D,
    /// 0xA2/0xDC: a quote or backslash with the high bit set) sprinkled sparsely or densely;
    /// `check` gets a scanner at every start and where the byte loop stops from there.
    static func forEveryScanStart(seed: UInt64, _ check: (inout JSONScanner, _ expected: Int, _ context: String) -> Void) {
        var rng = Rng(state: seed)
        let plain = Array("abcdefXYZ0189-_./:, {}[]".utf8) + [0x21, 0x23, 0x5B, 0x5D, 0x7E, 0x20, 0x7F]
        let stops: [UInt8] = [0x22, 0x5C, 0x00, 0x01, 0x09, 0x0A, 0x1F, 0x80, 0xA2, 0xBF, 0xC3, 0xDC, 0xE6, 0xF0, 0xFF]
        for _ in 0..<1_500 {
            let length = rng.int(0...70)
            let density = rng.int(0...3)  // 0: no stop bytes at all; 3: about one in four
            let bytes: [UInt8] = (0..<length).map { _ in
                density > 0 && rng.int(0...(16 >> density)) == 0 ? stops[rng.int(0...(stops.count - 1))]
                    : plain[rng.int(0...(plain.count - 1))]
            }
            bytes.withUnsafeBytes { raw in
                for start in 0...length {
                    var scanner = JSONScanner(raw)
                    scanner.position = start
                    check(&scanner, scanner.plainRunReference(from: start), "from \(start) in \(bytes)")
                }
            }
        }
    }

    /// The wide string scan stops exactly where a byte loop stops, from every start.
    @Test(arguments: 0..<4)
    func stringScanStopsWhereTheByteLoopStops(seed: Int) {
        var checked = 0
        Self.forEveryScanStart(seed: UInt64(seed) &* 0x5CA7 &+ 1) { scanner, expected, context in
            scanner.skipPlainStringBytes()
            #expect(scanner.position == expected, "\(context)")
            checked += 1
        }
        #expect(checked > 40_000)
    }

    /// The 8-byte word loop (the scan on CPUs without SSE2, so not otherwise run on x86-64),
    /// called directly: from every start it stops at the first byte the byte loop stops at,
    /// or earlier only where fewer than eight bytes remain, never past a byte that needs
    /// attention.
    @Test(arguments: 0..<4)
    func wordLoopStopsWhereTheByteLoopStops(seed: Int) {
        var stoppedEarly = 0, stoppedAtStop = 0
        Self.forEveryScanStart(seed: UInt64(seed) &* 0x3D0B &+ 7) { scanner, expected, context in
            let start = scanner.position
            scanner.skipPlainStringWords()
            let stopped = scanner.position
            #expect(stopped >= start && stopped <= expected, "\(context)")
            if stopped != expected {
                #expect(scanner.count - stopped < 8, "stopped at \(stopped), not \(expected), \(context)")
                stoppedEarly += 1
            } else if expected < scanner.count {
                stoppedAtStop += 1
            }
        }
        #expect(stoppedEarly > 1_000 && stoppedAtStop > 10_000)  // both ways of stopping were exercised
    }

    /// `ByteKeyTable` finds a key exactly when it is one of the table's, for keys of
    /// every length class of `KeyWords` (below 4, 4–7, 8–16, longer, 63 and more) that
    /// differ from a table key in one byte at any position, or only in length.
    @Test(arguments: 0..<4)
    func keyTableMatchesExactlyTheEqualKeys(seed: Int) {
        var rng = Rng(state: UInt64(seed) &+ 0xBEEF)
        let alphabet = Array("abcdef_.XYZ".utf8) + [0x00, 0xFF]
        for _ in 0..<200 {
            var keys: [[UInt8]] = []
            for _ in 0..<rng.int(1...12) {
                let length = [rng.int(0...3), rng.int(4...7), rng.int(8...16), rng.int(17...40), rng.int(62...70)][rng.int(0...4)]
                let key = (0..<length).map { _ in alphabet[rng.int(0...(alphabet.count - 1))] }
                if !keys.contains(key) { keys.append(key) }
            }
            let table = ByteKeyTable(keys)
            for _ in 0..<60 {
                var probe = keys[rng.int(0...(keys.count - 1))]
                switch rng.int(0...3) {
                case 0: break
                case 1 where !probe.isEmpty: probe[rng.int(0...(probe.count - 1))] = alphabet[rng.int(0...(alphabet.count - 1))]
                case 2: probe.append(alphabet[rng.int(0...(alphabet.count - 1))])
                default: if !probe.isEmpty { probe.removeLast() }
                }
                let expected = keys.firstIndex(of: probe) ?? -1
                let found = probe.withUnsafeBytes { table.index.lookup($0) }
                #expect(found == expected, "\(probe) in \(keys)")
            }
        }
    }

    /// The timestamp's common spellings read whole (`parseCommon`) against the field-by-
    /// field parser: random dates and times in those spellings and near them (other
    /// lengths, zones and separators, days past the month's end, leap days, a byte changed),
    /// so both what the fast path takes and what it leaves are exercised. `parse` must
    /// give exactly what `parseFields` gives, value or problem.
    @Test(arguments: 0..<4)
    func timestampFastPathMatchesTheFieldParser(seed: Int) {
        var rng = Rng(state: UInt64(seed) &* 0x2545_F491_4F6C_DD1D)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        func six(_ v: Int) -> String { String(repeating: "0", count: 6 - String(v).count) + String(v) }
        func outcome(_ r: Result<EventTime, TimestampProblem>) -> String {
            switch r {
            case let .success(time): "time \(time.micros)"
            case let .failure(problem): "problem \(problem)"
            }
        }
        let near = Array("0189:-.TtZz +/\u{0}".utf8) + [0x80, 0xFF]
        var common = 0, left = 0
        for _ in 0..<6_000 {
            let year = [rng.int(1...9999), rng.int(1999...2101), 2000, 1900, 2024, 0][rng.int(0...5)]
            var text = String(repeating: "0", count: 4 - min(4, String(year).count)) + "\(year)-\(two(rng.int(0...13)))-"
                + "\(two(rng.int(0...32)))T\(two(rng.int(0...24))):\(two(rng.int(0...60))):\(two(rng.int(0...60)))"
            switch rng.int(0...5) {
            case 0: text += "." + six(rng.int(0...999_999))
            case 1: text += "." + six(rng.int(0...999_999)) + "Z"
            case 2: text += "Z"
            case 3: text += ["+01:30", ".123", ",123456", "z", ".1234567Z", "-0500", ""][rng.int(0...6)]
            default: break
            }
            var bytes = Array(text.utf8)
            if rng.int(0...5) == 0 { bytes[rng.int(0...(bytes.count - 1))] = near[rng.int(0...(near.count - 1))] }
            let fast = bytes.withUnsafeBytes { TimestampParser.parseCommon($0) }
            let reference = bytes.withUnsafeBytes { raw in Result { () throws(TimestampProblem) in try TimestampParser.parseFields(raw) } }
            let parsed = bytes.withUnsafeBytes { raw in Result { () throws(TimestampProblem) in try TimestampParser.parse(raw) } }
            let label = String(decoding: bytes, as: UTF8.self)
            #expect(outcome(parsed) == outcome(reference), "\(label)")
            if let fast {
                common += 1
                #expect(fast == (try? reference.get()), "\(label)")
            } else if (try? reference.get()) != nil {
                left += 1
            }
        }
        #expect(common > 1_000 && left > 100, "\(common) read whole, \(left) left to the field parser")
    }

    /// The UUID's word path against the digit path it stands in front of: the same bits
    /// for every dashed UUID, nil for anything the digit path refuses.
    @Test(arguments: 0..<4)
    func uuidWordsMatchUUIDDigits(seed: Int) {
        var rng = Rng(state: UInt64(seed) &+ 0xC0FFEE)
        let hex = Array("0123456789abcdefABCDEF".utf8)
        let near = Array("/:@G`g-xX ".utf8) + [0x00, 0x7F, 0x80, 0xFF, 0xB0, 0xC1]
        var taken = 0
        for _ in 0..<4_000 {
            var text = (0..<36).map { _ in hex[rng.int(0...(hex.count - 1))] }
            for i in [8, 13, 18, 23] { text[i] = UInt8(ascii: "-") }
            if rng.int(0...1) == 0 { text[rng.int(0...35)] = near[rng.int(0...(near.count - 1))] }
            let words = text.withUnsafeBytes { SampleKey.uuidWords($0) }
            let digits = text.withUnsafeBytes { SampleKey.uuidDigits($0) }
            #expect(words == digits, "\(String(decoding: text, as: UTF8.self))")
            if words != nil { taken += 1 }
        }
        #expect(taken > 1_500 && taken < 4_000)
    }

    /// A `\u` escape's four digits read at once (`hexDigits4`) against `Int(_:radix:)`:
    /// in plain JSON and in JSON read in place (`\\u`), a string with one escape of random
    /// digits and bytes just outside the hex ranges reads exactly when all four are hex
    /// digits and the unit is not a surrogate (the digit loop, kept for the rest, gives the errors).
    @Test(arguments: 0..<4)
    func unicodeEscapeDigitsMatchTheReference(seed: Int) {
        var rng = Rng(state: UInt64(seed) &+ 0x5EED)
        let alphabet = Array("0123456789abcdefABCDEFdD".utf8) + Array("/:@G`g\"".utf8) + [0x80, 0xFF]
        var read = 0
        for _ in 0..<3_000 {
            let digits = (0..<4).map { _ in alphabet[rng.int(0...(alphabet.count - 1))] }
            let unit = Int(String(decoding: digits, as: UTF8.self), radix: 16)
            let expected = digits.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "\"") } && unit != nil
                && !(0xD800..<0xE000).contains(unit!)
            for escaped in [false, true] {
                let quote: [UInt8] = escaped ? Array("\\\"".utf8) : Array("\"".utf8)
                let text = quote + Array((escaped ? "a\\\\u" : "a\\u").utf8) + digits + Array("b".utf8) + quote + Array(" ".utf8)
                let outcome: String = text.withUnsafeBytes { raw in
                    var scanner = JSONScanner(raw, quoteIsEscaped: escaped)
                    do throws(JSONSyntaxError) {
                        let span = try scanner.readString()
                        return "read \(span.range) at \(scanner.position)"
                    } catch {
                        return "\(error)"
                    }
                }
                #expect(outcome.hasPrefix("read") == expected, "\(String(decoding: text, as: UTF8.self)): \(outcome)")
                if expected {
                    read += 1
                    #expect(outcome == "read \(quote.count)..<\(text.count - quote.count - 1) at \(text.count - 1)")
                }
            }
        }
        #expect(read > 1_000 && read < 6_000)
    }
}
