import Testing
import TallyCore
@testable import TallyWire

/// The metadata cache (`MetadataSpanCache`) must be invisible: a decoder that takes a
/// sample's metadata slots from it decodes every record exactly as one that walks every
/// metadata object — the same samples, rejections, record errors and their messages,
/// and the same symbol table, id for id (the table is persisted by id).
@Suite struct MetadataCacheTests {
    typealias Rng = RoundTripTests.Rng

    /// Slots filled from the metadata, from `@fields`, and from both, with alternatives
    /// ranked either way round and an object value (`flavor`) that is also walked into.
    static let plan = try! MetadataPlan(keys: [
        MetadataKeySpec("flavor_name", alternatives: ["flavor_name", "flavor.name", "instance_type"]),
        MetadataKeySpec("flavor", alternatives: ["flavor"]),
        MetadataKeySpec("vcpus"),
        MetadataKeySpec("project", alternatives: ["@project_name", "project"]),
        MetadataKeySpec("owner", alternatives: ["owner", "@project_name"]),
        MetadataKeySpec("resource", alternatives: ["@resource_id"]),
    ])

    /// Everything observable about decoding `records` with one decoder, in order.
    static func decodeAll(_ records: [[UInt8]], caching: Bool, arenaBudget: Int, inPlace: Bool)
        -> (lines: [String], symbols: [String], hits: Int) {
        let symbols = SymbolTable()
        let decoder = CeilometerDecoder(symbols: symbols, plan: plan)
        decoder.readsMessageInPlace = inPlace
        decoder.cachesMetadata = caching
        if caching { decoder.state.cacheMetadata(arenaBudget: arenaBudget) }
        let observed = observeDecoding(records, symbols: symbols) { (r, e, j) throws(RecordDecodeError) in
            try decoder.decode(r, emit: e, reject: j)
        }
        return (observed.lines, observed.symbols, decoder.state.metadataCache?.hits ?? 0)
    }

    /// A random metadata member's value as JSON text.
    static func value(_ rng: inout Rng, depth: Int = 0) -> String {
        switch rng.int(0...(depth < 2 ? 9 : 7)) {
        case 0: return "null"
        case 1: return rng.int(0...1) == 0 ? "true" : "false"
        case 2: return "\(rng.int(-3...9000))"
        case 3: return ["8.0", "6.4e1", "-0.5", "1E3"][rng.int(0...3)]
        case 4, 5: return "\"" + ["m1.small", "m1.large", "caf\\u00e9", "a\\\"b", "back\\\\slash", "x\\/y", "日本", ""][rng.int(0...7)] + "\""
        case 6: return "\"\(rng.int(0...99))\""
        case 7: return "[" + (0..<rng.int(0...2)).map { _ in value(&rng, depth: depth + 1) }.joined(separator: ", ") + "]"
        default:
            let keys = ["name", "id", "vcpus", "ram", "n\\u0061me", "extra_specs"]
            return "{" + (0..<rng.int(0...3)).map { i in "\"\(keys[(i + rng.int(0...5)) % keys.count])\": \(value(&rng, depth: depth + 1))" }
                .joined(separator: ", ") + "}"
        }
    }

    /// A random metadata object's members (key as JSON text, value as JSON text).
    static func members(_ rng: inout Rng) -> [(String, String)] {
        let keys = ["flavor_name", "instance_type", "flavor", "vcpus", "project", "owner", "display_name", "host",
                    "image_ref", "status", "\\u0066lavor_name", "vcp\\u0075s", "é", ""]
        var chosen: [(String, String)] = []
        for _ in 0..<rng.int(0...8) {
            let key = keys[rng.int(0...(keys.count - 1))]
            if chosen.contains(where: { $0.0 == "\"\(key)\"" }) { continue }
            chosen.append(("\"\(key)\"", value(&rng)))
        }
        return chosen
    }

    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
    }

    /// `text` with one byte replaced, inserted or removed (often no longer valid JSON).
    static func damaged(_ text: String, _ rng: inout Rng) -> String {
        var bytes = Array(text.utf8)
        let pick: [UInt8] = Array("\"\\{}[],: 0aZ\u{1}".utf8) + [0xC3, 0xFF]
        let at = rng.int(0...(bytes.count - 1))
        switch rng.int(0...2) {
        case 0: bytes[at] = pick[rng.int(0...(pick.count - 1))]
        case 1: bytes.insert(pick[rng.int(0...(pick.count - 1))], at: at)
        default: bytes.remove(at: at)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Records whose samples mostly repeat their resource's current metadata (so the cache
    /// hits), and otherwise change it: a damaged byte, members reordered, a key repeated,
    /// a value changed, escaped spellings; the sample's own members move around it too.
    static func records(seed: Int) -> [[UInt8]] {
        var rng = Rng(state: UInt64(seed) &* 0x5DEE_CE66_D1CE)
        let resources = (0..<5).map { "res-\($0)" }
        var current = resources.map { _ in members(&rng) }
        var records: [[UInt8]] = []
        for _ in 0..<120 {
            var samples: [String] = []
            for _ in 0..<rng.int(1...3) {
                let r = rng.int(0...(resources.count - 1))
                var metadata = current[r]
                var text: String
                switch rng.int(0...11) {
                case 0: text = damaged(object(metadata), &rng)
                case 1:
                    for i in stride(from: metadata.count - 1, to: 0, by: -1) { metadata.swapAt(i, rng.int(0...i)) }
                    text = object(metadata)
                case 2 where !metadata.isEmpty:
                    metadata.append(metadata[rng.int(0...(metadata.count - 1))])  // a repeated key
                    text = object(metadata)
                case 3:
                    metadata = members(&rng)
                    text = object(metadata)
                case 4:
                    text = object(metadata).replacingOccurrences(of: "\"flavor", with: "\"\\u0066lavor")
                default: text = object(metadata)
                }
                if rng.int(0...3) == 0 { current[r] = metadata }
                var fields = ["resource_id": "\"\(resources[r])\""]
                switch rng.int(0...3) {
                case 0: fields["project_name"] = "<omit>"
                case 1: fields["project_name"] = "\"p-\(rng.int(0...2))\""
                default: break
                }
                var sample = Ceilometer.sample(fields, metadata: text)
                // Sometimes the resource or the project come after the metadata.
                for key in ["resource_id", "project_name"] where rng.int(0...4) == 0 {
                    if let range = sample.range(of: #", "\#(key)": "[^"]*""#, options: .regularExpression) {
                        let member = String(sample[range])
                        sample.removeSubrange(range)
                        sample.insert(contentsOf: member, at: sample.index(before: sample.endIndex))
                    }
                }
                samples.append(sample)
            }
            records.append(Array(Ceilometer.record(samples).utf8))
        }
        return records
    }

    @Test(arguments: 0..<8)
    func decodingWithTheCacheIsDecodingWithout(seed: Int) {
        let records = Self.records(seed: seed)
        let inPlace = seed % 4 != 3
        let budget = seed % 2 == 0 ? MetadataSpanCache.defaultArenaBudget : 4096  // small: starts over often
        let walked = Self.decodeAll(records, caching: false, arenaBudget: 0, inPlace: inPlace)
        let cached = Self.decodeAll(records, caching: true, arenaBudget: budget, inPlace: inPlace)
        #expect(cached.lines.count == walked.lines.count)
        for (a, b) in zip(cached.lines, walked.lines) where a != b {
            Issue.record("cached: \(a)\nwalked: \(b)")
            break
        }
        #expect(cached.symbols == walked.symbols)
        // The inputs exercised what they should: hits, and refusals of several kinds.
        #expect(cached.hits > 10, "\(cached.hits) hits")
        #expect(walked.lines.contains { $0.hasPrefix("sample") })
        #expect(walked.lines.contains { $0.hasPrefix("record") && $0.contains("duplicate key") })
        #expect(walked.lines.contains { $0.hasPrefix("record malformed") })
    }

    @Test func theFixtureDecodesAlikeAndMostlyHits() {
        let walked = Self.decodeAll(Fixture.records, caching: false, arenaBudget: 0, inPlace: true)
        let cached = Self.decodeAll(Fixture.records, caching: true, arenaBudget: MetadataSpanCache.defaultArenaBudget,
                                    inPlace: true)
        #expect(cached.lines == walked.lines)
        #expect(cached.symbols == walked.symbols)
        #expect(cached.lines.count == 1254)
        // Each resource's metadata repeats from poll to poll: most samples hit.
        #expect(cached.hits > 1_000, "\(cached.hits) hits")
        print("metadata cache on the fixture: \(cached.hits) hits of 1,254 samples")
    }

    /// The cache's own bookkeeping: entries survive the table's growth, a full arena
    /// starts it over, and its memory stays within the budget.
    @Test func entriesSurviveGrowthAndTheArenaStaysBounded() {
        let cache = MetadataSpanCache(slotCount: 2, arenaBudget: 256 << 10)
        func object(_ i: Int) -> [UInt8] { Array("{\"name\": \"instance-\(i)\", \"pad\": \"\(String(repeating: "x", count: 40))\"}".utf8) }
        func insert(_ i: Int) {
            object(i).withUnsafeBytes { bytes in
                let outcomes = cache.insert(resource: Symbol(raw: UInt32(i + 1)), escaped: false, bytes: bytes)!
                for s in 0..<2 {
                    outcomes[s] = .init(value: MetaValue(kind: .int, text: Symbol(raw: UInt32(i * 2 + s))), rank: s, bound: .max)
                }
            }
        }
        func found(_ i: Int, escaped: Bool = false) -> Bool {
            (object(i) + Array(", more".utf8)).withUnsafeBytes { text in
                guard let hit = cache.lookup(resource: Symbol(raw: UInt32(i + 1)), escaped: escaped, text: text) else { return false }
                return hit.length == object(i).count && hit.outcomes[1].value.text.raw == UInt32(i * 2 + 1)
            }
        }
        for i in 0..<1_000 { insert(i) }
        #expect((0..<1_000).allSatisfy { found($0) })  // the table grew from 64 sets, keeping them
        #expect(!found(7, escaped: true))
        #expect(cache.resets == 0)
        for i in 1_000..<4_000 { insert(i) }  // ~100 bytes each: past 256 KiB
        #expect(cache.resets > 0)
        #expect(cache.arenaBytes <= 256 << 10)
        #expect(!found(0))
        #expect(found(3_999))
        // A shorter input than the entry, or other bytes, is not a hit.
        let partial = Array(object(3_999).dropLast())
        #expect(partial.withUnsafeBytes { cache.lookup(resource: Symbol(raw: 4_000), escaped: false, text: $0) } == nil)
    }
}
