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
}
