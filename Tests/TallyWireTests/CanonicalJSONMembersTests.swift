import Testing
@testable import TallyCore
@testable import TallyWire
import TallySeededRandom

/// `CanonicalJSONParser.members` (the replay's selective frame reader) must answer as the
/// tree parser or not at all: on random documents and on their bytes altered (duplicate
/// keys at any depth, decimals, deep nesting, truncation, flipped bytes), it refuses exactly
/// the documents `parse` refuses, and the members it keeps are the trees `parse` gives.
@Suite struct CanonicalJSONMembersTests {
    /// SplitMix64: a fixed sequence per seed, so a failure names its seed.
    typealias Numbers = SplitMix64

    static let plainKeys = ["frame_id", "revision", "price", "scope", "window", "id", "start", "explanation", "a", "b"]
    /// Keys the selective reader leaves to the tree parser (escaped, non-ASCII, canonically equal pairs): rarer.
    static let unsureKeys = ["k\"q", "ünï", "e\u{301}", "\u{e9}"]
    static func key(_ r: inout Numbers) -> String {
        r.next(10) == 0 ? unsureKeys[r.next(unsureKeys.count)] : plainKeys[r.next(plainKeys.count)]
    }
    static let kept = ["frame_id", "revision", "price", "scope", "window"]

    static func tree(_ r: inout Numbers, depth: Int) -> CanonicalJSON {
        switch depth > 3 ? r.next(4) : r.next(6) {
        case 0: return .string(["x", "", "back\\slash", "☃", "a\"b"][r.next(5)])
        case 1: return .integer(Int64(r.next(2_000_001)) - 1_000_000)
        case 2: return r.next(2) == 0 ? .null : .bool(r.next(2) == 0)
        case 3: return .string(String(r.next(1000)))
        case 4: return .array((0..<r.next(4)).map { _ in tree(&r, depth: depth + 1) })
        default:
            var members: [String: CanonicalJSON] = [:]
            for _ in 0..<r.next(6) { members[key(&r)] = tree(&r, depth: depth + 1) }
            return .object(members)
        }
    }

    static func document(_ r: inout Numbers) -> [UInt8] {
        var members: [String: CanonicalJSON] = [:]
        for _ in 0..<(1 + r.next(8)) { members[key(&r)] = tree(&r, depth: 1) }
        var bytes = CanonicalJSON.object(members).bytes
        switch r.next(9) {
        case 0:  // a key repeated: copy an existing `"key":` after a `{` or `,`
            if let colon = bytes.firstIndex(of: UInt8(ascii: ":")), let open = bytes[..<colon].lastIndex(where: { $0 == 0x7B || $0 == 0x2C }) {
                let member = Array(bytes[(open + 1)...colon]) + Array("1,".utf8)
                bytes.insert(contentsOf: member, at: open + 1)
            }
        case 1:  // a decimal number somewhere
            if let i = bytes.firstIndex(where: { $0 >= 0x30 && $0 <= 0x39 }) { bytes.insert(contentsOf: Array(".5".utf8), at: i + 1) }
        case 2: bytes.removeLast(1 + r.next(min(bytes.count, 5)))
        case 3: bytes[r.next(bytes.count)] = UInt8(truncatingIfNeeded: r.next(256))
        case 4:  // nesting past the limit inside a skipped member
            let deep = Array(repeating: UInt8(ascii: "["), count: 70) + Array(repeating: UInt8(ascii: "]"), count: 70)
            bytes.insert(contentsOf: Array("\"zz\":".utf8) + deep + [0x2C], at: 1)
        case 5:  // a nested object with a repeated key
            bytes.insert(contentsOf: Array("\"zz\":{\"a\":1,\"b\":[{\"c\":1,\"c\":2}]},".utf8), at: 1)
        case 6: bytes = Array(" \n".utf8) + bytes + Array("\t".utf8)
        default: break
        }
        return bytes
    }

    @Test func answersAsTheTreeParserOrNotAtAll() throws {
        var sure = 0, refusedBoth = 0
        for seed in 0..<20_000 {
            var r = Numbers(state: UInt64(seed))
            let bytes = Self.document(&r)
            let full = Result { try CanonicalJSONParser.parse(bytes) }
            let selective = Result { try bytes.withUnsafeBytes { try CanonicalJSONParser.members(of: $0, keeping: Self.kept) } }
            switch (full, selective) {
            case (.success(.object(let members)), .success(.some(let keptMembers))):
                let expected = members.filter { Self.kept.contains($0.key) }
                #expect(keptMembers == expected, "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
                sure += 1
            case (_, .success(nil)):
                // Unsure: allowed for a top level that is not an object, escaped or non-ASCII keys, or many keys.
                if case .success(.object) = full {
                    let text = String(decoding: bytes, as: UTF8.self)
                    #expect(text.contains("\\") || bytes.contains { $0 >= 0x80 }, "seed \(seed): unsure without a reason: \(text)")
                }
            case (.failure, .failure): refusedBoth += 1
            default:
                Issue.record("seed \(seed): parse \(full), members \(selective): \(String(decoding: bytes, as: UTF8.self))")
            }
        }
        // The cases above must all occur, or the test proves nothing.
        #expect(sure > 3_000)
        #expect(refusedBoth > 2_000)
    }

    @Test func readsAFramesSummaryMembersAndRefusesADuplicateDeepInside() throws {
        let frame = Array(#"{"explanation":{"groups":[{"g":"a","rules":[{"id":"r1"}]}]},"frame_id":"f-1","revision":2,"price":"0.5","window":{"end":"x","start":"2026-12-01T00:00:00Z"}}"#.utf8)
        let kept = try frame.withUnsafeBytes { try CanonicalJSONParser.members(of: $0, keeping: ["frame_id", "revision", "window"]) }
        #expect(kept == ["frame_id": .string("f-1"), "revision": .integer(2),
                         "window": .object(["end": .string("x"), "start": .string("2026-12-01T00:00:00Z")])])
        let duplicate = Array(#"{"explanation":{"groups":[{"g":"a","g":"b"}]},"frame_id":"f-1"}"#.utf8)
        #expect(throws: (any Error).self) { try duplicate.withUnsafeBytes { try CanonicalJSONParser.members(of: $0, keeping: ["frame_id"]) } }
        #expect(throws: (any Error).self) { try CanonicalJSONParser.parse(duplicate) }
    }
}
