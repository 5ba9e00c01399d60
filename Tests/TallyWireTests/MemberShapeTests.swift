import Testing
import TallyCore
@testable import TallyWire

/// Shape prediction (`MemberShape`) must be invisible: a decoder that takes a sample's
/// members from the shape of the sample before decodes every record exactly as one that
/// reads and matches every key — the same samples, rejections, record errors and their
/// messages (a repeated key found after a followed prefix included), and the same symbol
/// table, id for id.
@Suite struct MemberShapeTests {
    typealias Rng = RoundTripTests.Rng

    /// Reads `@fields` too, so the plan's trie nodes come from the shape as well.
    static let plan = MetadataCacheTests.plan

    /// `observeDecoding` with a decoder that predicts shapes or not.
    static func decodeAll(_ records: [[UInt8]], format: InputFormat, predicting: Bool, inPlace: Bool = true,
                          caching: Bool = true) -> (lines: [String], symbols: [String]) {
        let symbols = SymbolTable()
        let decoder = SampleDecoder(format: format, symbols: symbols, plan: plan)
        decoder.predictsShapes = predicting
        decoder.ceilometer.readsMessageInPlace = inPlace
        decoder.ceilometer.cachesMetadata = caching
        return observeDecoding(records, symbols: symbols) { (r, e, j) throws(RecordDecodeError) in
            try decoder.decode(r, emit: e, reject: j)
        }
    }

    /// A Ceilometer sample's members (key and value as JSON text), with values that vary.
    static func ceilometerMembers(_ rng: inout Rng) -> [(String, String)] {
        let ids = ["\"86153f6a-d650-11f1-b592-024018db16c3\"", "\"86153F6AD65011F1B592024018DB16C3\"", "\"not-a-uuid\"",
                   "\"\"", "7"]
        let stamps = ["\"2026-11-02T00:01:16.046321\"", "\"2026-11-02 00:01:16Z\"", "\"2026-02-30T00:00:00\"",
                      "\"2026-11-02T00:01:16.1234567890\"", "\"2026-11-02T00:01:16+01:30\"", "null"]
        let volumes = ["1034595718072280", "\"12.5\"", "-1", "NaN", "0.25", "\"x\"", "1e3"]
        return [
            ("source", Self.skippedValues[rng.int(0...(Self.skippedValues.count - 1))]), ("counter_name", ["\"cpu\"", "\"memory\"", "\"\"", "3"][rng.int(0...3)]),
            ("counter_type", ["\"cumulative\"", "\"gauge\"", "\"delta\"", "\"rate\""][rng.int(0...3)]),
            ("counter_unit", ["\"ns\"", "\"MiB\"", "\"\""][rng.int(0...2)]), ("counter_volume", volumes[rng.int(0...6)]),
            ("user_id", ["\"u-1\"", "null", "\"u-\\u00e9\""][rng.int(0...2)]), ("user_name", rng.int(0...3) == 0 ? Self.skippedValues[rng.int(0...(Self.skippedValues.count - 1))] : "\"alice\""),
            ("project_id", ["\"p-1\"", "\"p-2\"", "null"][rng.int(0...2)]),
            ("project_name", ["\"aurora-01\"", "\"\\u00e9quipe\"", "null"][rng.int(0...2)]),
            ("resource_id", "\"res-\(rng.int(0...3))\""), ("timestamp", stamps[rng.int(0...5)]),
            ("resource_metadata", ["{\"flavor_name\": \"m1.small\", \"vcpus\": 2}", "{\"flavor\": {\"name\": \"m1.large\"}}",
                                   "null", "{}"][rng.int(0...3)]),
            ("message_id", ids[rng.int(0...4)]), ("monotonic_time", "null"), ("message_signature", "\"00\""),
        ]
    }

    /// Values of members the decoder skips, which shapes keep and step over when they
    /// repeat: strings that share a prefix or differ in length, escapes, non-ASCII, the
    /// literals, and what is never kept (numbers, one a prefix of another; containers; a
    /// string longer than `MemberShape.maxValueBytes`).
    static let skippedValues = [
        "\"openstack\"", "\"openstack\"", "\"openstack2\"", "\"opens\"", "\"\"", "\"a\\\"b\"", "\"\\u00e9t\u{e9}\"",
        "null", "true", "false", "7", "71", "7.5", "{\"a\": 1}", "[1, 2]", "{}",
        "\"" + String(repeating: "s", count: 47) + "\"", "\"" + String(repeating: "s", count: 60) + "\"",
    ]

    /// A native sample's members.
    static func nativeMembers(_ rng: inout Rng) -> [(String, String)] {
        [("id", ["\"86153f6a-d650-11f1-b592-024018db16c3\"", "\"s-\(rng.int(0...9))\""][rng.int(0...1)]),
         ("metric", "\"cpu\""), ("type", ["\"gauge\"", "\"delta\""][rng.int(0...1)]), ("unit", "\"ns\""),
         ("volume", "\(rng.int(0...99))"), ("timestamp", "\"2026-11-02T00:0\(rng.int(0...9)):00Z\""),
         ("project_id", "\"p-1\""), ("user_id", "null"), ("resource_id", "\"r-\(rng.int(0...2))\""),
         ("metadata", "{\"vcpus\": \(rng.int(1...4))}")]
    }

    /// The members written as an object, changed now and then: members swapped, dropped,
    /// added or repeated (raw or with an escaped spelling), a key escaped, other
    /// separators, or one byte damaged. Most objects keep the members' order.
    static func object(_ base: [(String, String)], _ rng: inout Rng) -> String {
        var members = base
        var separator = ", ", colon = ": "
        switch rng.int(0...15) {
        case 0: members.swapAt(rng.int(0...(members.count - 1)), rng.int(0...(members.count - 1)))
        case 1: members.remove(at: rng.int(0...(members.count - 1)))
        case 2: members.insert(("extra_\(rng.int(0...2))", "\(rng.int(0...9))"), at: rng.int(0...members.count))
        case 3: members.insert(members[rng.int(0...(members.count - 1))], at: rng.int(0...members.count))  // repeated
        case 4:  // repeated with an escaped spelling of its first letter
            let (key, value) = members[rng.int(0...(members.count - 1))]
            members.insert((Self.escapedFirst(key), value), at: rng.int(0...members.count))
        case 5:
            let i = rng.int(0...(members.count - 1))
            members[i].0 = Self.escapedFirst(members[i].0)
        case 6: separator = ","; colon = ":"
        case 7: separator = ",\n  "; colon = " : "
        case 8: members = Array(members.prefix(rng.int(0...members.count)))
        default: break
        }
        let text = "{" + members.map { "\"\($0.0)\"\(colon)\($0.1)" }.joined(separator: separator) + "}"
        return rng.int(0...11) == 0 ? MetadataCacheTests.damaged(text, &rng) : text
    }

    static func escapedFirst(_ key: String) -> String {
        guard let first = key.unicodeScalars.first else { return key }
        let hex = String(first.value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex + key.dropFirst()
    }

    static func ceilometerRecords(seed: Int, enveloped: Bool) -> [[UInt8]] {
        var rng = Rng(state: UInt64(seed) &* 0x9E37_79B9 &+ 17)
        return (0..<150).map { _ in
            let samples = (0..<rng.int(1...4)).map { _ in object(ceilometerMembers(&rng), &rng) }
            let payload = "[" + samples.joined(separator: ", ") + "]"
            return Array((enveloped ? Ceilometer.record(samples) : Ceilometer.notification(payload: payload)).utf8)
        }
    }

    static func expectAlike(_ records: [[UInt8]], format: InputFormat, inPlace: Bool = true, caching: Bool = true) {
        let read = decodeAll(records, format: format, predicting: false, inPlace: inPlace, caching: caching)
        let followed = decodeAll(records, format: format, predicting: true, inPlace: inPlace, caching: caching)
        #expect(followed.lines.count == read.lines.count)
        for (a, b) in zip(followed.lines, read.lines) where a != b {
            Issue.record("followed: \(a)\nread:     \(b)")
            break
        }
        #expect(followed.symbols == read.symbols)
        // The inputs exercised what they should: samples, rejections and repeated keys.
        #expect(read.lines.contains { $0.hasPrefix("sample") })
        #expect(read.lines.contains { $0.hasPrefix("rejected") })
        #expect(read.lines.contains { $0.hasPrefix("record") && $0.contains("duplicate key") })
    }

    @Test(arguments: 0..<8)
    func ceilometerDecodesAlikeWithAndWithoutShapes(seed: Int) {
        Self.expectAlike(Self.ceilometerRecords(seed: seed, enveloped: seed % 4 != 3), format: .ceilometer,
                         inPlace: seed % 3 != 2, caching: seed % 2 == 0)
    }

    /// The notification around the samples follows a shape of its own: its members vary,
    /// move, repeat, are escaped or damaged as a sample's do, with and without the envelope.
    @Test(arguments: 0..<6)
    func notificationsDecodeAlikeWithAndWithoutShapes(seed: Int) {
        var rng = Rng(state: UInt64(seed) &* 0x5851_F42D &+ 3)
        let records: [[UInt8]] = (0..<200).map { _ in
            let samples = (0..<rng.int(1...3)).map { _ in
                rng.int(0...3) == 0 ? Self.object(Self.ceilometerMembers(&rng), &rng) : Ceilometer.sample()
            }
            let members: [(String, String)] = [
                ("message_id", "\"94614ad5-947d-4d5a-9169-7b76258\(rng.int(10_000...99_999))\""),
                ("publisher_id", rng.int(0...2) == 0 ? Self.skippedValues[rng.int(0...(Self.skippedValues.count - 1))]
                    : "\"telemetry.publisher.ctl-01\""),
                ("event_type", ["\"metering\"", "\"metering\"", "\"compute.instance\"", "7"][rng.int(0...3)]),
                ("priority", ["\"SAMPLE\"", "\"SAMPLE\"", "\"INFO\"", "null"][rng.int(0...3)]),
                ("payload", ["[" + samples.joined(separator: ", ") + "]", "[]", "{}"][rng.int(0...9) == 0 ? rng.int(1...2) : 0]),
                ("timestamp", "\"2026-11-02 03:42:0\(rng.int(0...9)).047924\""), ("_context", ["{}", "null"][rng.int(0...1)]),
            ]
            let notification = Self.object(members, &rng)
            return Array((rng.int(0...4) == 0 ? notification : Ceilometer.envelope(notification)).utf8)
        }
        Self.expectAlike(records, format: .ceilometer, inPlace: seed % 3 != 2, caching: seed % 2 == 0)
    }

    @Test(arguments: 0..<4)
    func nativeAndCloudEventsDecodeAlike(seed: Int) {
        var rng = Rng(state: UInt64(seed) &+ 99)
        let native = (0..<300).map { _ in Array(Self.object(Self.nativeMembers(&rng), &rng).utf8) }
        Self.expectAlike(native, format: .native)
        let events = (0..<300).map { _ in
            Array(("{\"specversion\": \"1.0\", \"id\": \"e-\(rng.int(0...50))\", \"source\": \"s\", \"type\": \"t\", "
                + "\"time\": \"2026-11-02T00:00:00Z\", \"data\": " + Self.object(Self.nativeMembers(&rng), &rng) + "}").utf8)
        }
        Self.expectAlike(events, format: .cloudEvents)
    }

    @Test func theFixtureDecodesAlikeAndMostlyFollows() {
        let read = Self.decodeAll(Fixture.records, format: .ceilometer, predicting: false)
        let followed = Self.decodeAll(Fixture.records, format: .ceilometer, predicting: true)
        #expect(followed.lines == read.lines)
        #expect(followed.symbols == read.symbols)
        #expect(read.lines.count == 1254)
        // Real Ceilometer samples write their keys in one order per meter: most follow.
        let decoder = SampleDecoder(format: .ceilometer, symbols: SymbolTable())
        for record in Fixture.records {
            record.withUnsafeBytes { _ = try? decoder.decode($0, emit: { _ in }, reject: { _ in }) }
        }
        let shapes = decoder.ceilometer.state.memberShapes
        let departures = (0..<2).map { shapes.shapes[$0].departures }.reduce(0, +)
        let membersRead = (0..<2).map { shapes.shapes[$0].membersRead }.reduce(0, +)
        #expect(departures < 1254 / 4, "\(departures) of 1,254 samples left the shape")
        print("shapes on the fixture: \(1254 - departures) of 1,254 samples followed to their end, "
            + "\(membersRead) members read the general way")
    }

    /// A key repeated after members that followed the shape is found, with the message and
    /// offset of reading every key.
    @Test func aRepeatedKeyAfterAFollowedPrefixIsTheSameError() {
        let first = Ceilometer.sample()
        let repeated = Ceilometer.sample(["zz": "1", "counter_volume": "2"])  // ... "counter_volume": 2, "zz": 1
            .replacingOccurrences(of: "\"zz\": 1", with: "\"zz\": 1, \"counter_volume\": 3")
        let escaped = Ceilometer.sample().replacingOccurrences(of: "\"message_signature\": \"00\"",
                                                               with: "\"message_signature\": \"00\", \"\\u0073ource\": 1")
        for samples in [[first, repeated], [first, escaped], [repeated], [first, first]] {
            let records = [Array(Ceilometer.record(samples).utf8), Array(Ceilometer.notification(payload: "[" + samples.joined(separator: ", ") + "]").utf8)]
            let read = Self.decodeAll(records, format: .ceilometer, predicting: false)
            let followed = Self.decodeAll(records, format: .ceilometer, predicting: true)
            #expect(followed.lines == read.lines)
            if samples.count == 2 && samples[1] != first {
                #expect(read.lines.allSatisfy { $0.contains("duplicate key") }, "\(read.lines)")
            }
        }
    }

    /// The shape is the last object's keys as read: it follows objects that write them the
    /// same way, keeps what was followed when an object goes another way, and ends before
    /// a key written with escapes.
    @Test func theShapeIsTheLastObjectsKeys() {
        let decoder = SampleDecoder(format: .ceilometer, symbols: SymbolTable())
        let shape = decoder.ceilometer.state.memberShapes.shape(SampleSchema.ceilometer.shapeKind, EscapedJSONText.self)
        func decode(_ samples: [String]) {
            Array(Ceilometer.record(samples).utf8).withUnsafeBytes { _ = try? decoder.decode($0, emit: { _ in }, reject: { _ in }) }
        }
        decode([Ceilometer.sample()])
        #expect(shape.pointee.count == 15)
        decode([Ceilometer.sample(["source": "<omit>"])])  // differs at the first member
        #expect(shape.pointee.count == 14)
        decode([Ceilometer.sample(["extra": "1"])])
        #expect(shape.pointee.count == 16)
        decode([Ceilometer.sample().replacingOccurrences(of: "\"timestamp\"", with: "\"\\u0074imestamp\"")])
        #expect(shape.pointee.count == 10)  // up to resource_id
        decode([Ceilometer.sample()])
        #expect(shape.pointee.count == 15)
        // Damaged inside the fourth key: the shape keeps the three members before it.
        decode([String(Ceilometer.sample().prefix(90))])
        #expect(shape.pointee.count == 3)
        decode([Ceilometer.sample()])
        #expect(shape.pointee.count == 15)
    }
}
