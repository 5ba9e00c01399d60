import Testing
import TallyCore
@testable import TallyWire

/// The in-place reading of `oslo.message` (fast path) and unescape-then-parse (slow
/// path) must decode identically, and unusual escaping must fall back correctly.
@Suite struct InPlaceMessageTests {
    struct Flat: Equatable {
        var key: SampleKey, metric: String, type: CounterType, unit: String, volume: String, time: Int64
        var project: String, user: String, resource: String, metadata: [String]
    }

    static func flatten(_ records: [[UInt8]], inPlace: Bool) -> ([Flat], [String]) {
        let symbols = SymbolTable()
        let decoder = CeilometerDecoder(symbols: symbols, plan: CeilometerFixtureTests.plan)
        decoder.readsMessageInPlace = inPlace
        var flats: [Flat] = []
        var problems: [String] = []
        for record in records {
            let outcome = decodeRecord(record, with: { (r, e, j) throws(RecordDecodeError) in
                try decoder.decode(r, emit: e, reject: j)
            }, symbols: symbols)
            for d in outcome.samples {
                flats.append(Flat(key: d.key, metric: d.metric, type: d.counterType, unit: d.unit,
                                  volume: d.volume.description, time: d.timestamp.micros,
                                  project: symbols.string(d.project), user: symbols.string(d.user), resource: d.resource,
                                  metadata: d.metadata.map { "\($0.kind):\($0.text)" }))
            }
            problems += outcome.rejections.map(\.description) + (outcome.error.map { [$0.description] } ?? [])
        }
        return (flats, problems)
    }

    @Test func bothPathsDecodeTheFixtureIdentically() {
        let fast = Self.flatten(Fixture.records, inPlace: true)
        let slow = Self.flatten(Fixture.records, inPlace: false)
        #expect(fast.0.count == 1254)
        #expect(fast.0 == slow.0)
        #expect(fast.1.isEmpty && slow.1.isEmpty)
    }

    @Test func bothPathsRefuseBadInputAlike() {
        let records = [
            Ceilometer.record([Ceilometer.sample(["counter_volume": "NaN"]), Ceilometer.sample()]),
            Ceilometer.record([]),
            Ceilometer.envelope(Ceilometer.notification(payload: "[]").replacingOccurrences(of: "[]", with: "{}")),
            Ceilometer.envelope(String(Ceilometer.notification(payload: "[" + Ceilometer.sample() + "]").dropLast(2))),
            Ceilometer.record([Ceilometer.sample(["project_name": #""caf\u00e9 \"quoted\" back\\slash""#])]),
            // A raw tab between tokens of the inner JSON is a control character in the outer string.
            Ceilometer.record([Ceilometer.sample()]).replacingOccurrences(of: #", \"counter_type"#, with: ",\t\\\"counter_type"),
        ].map { Array($0.utf8) }
        let fast = Self.flatten(records, inPlace: true)
        let slow = Self.flatten(records, inPlace: false)
        #expect(fast.0 == slow.0)
        #expect(fast.1 == slow.1)
        #expect(fast.1.count == 5)
        #expect(fast.1.last?.hasPrefix("malformed-json: record: control character 0x9") == true, "\(fast.1)")
    }

    @Test func unusualOuterEscapesFallBack() throws {
        // `\/` and `\u0022` are legal in the outer string but not what the fast path reads.
        let plain = Ceilometer.record([Ceilometer.sample(["resource_id": #""a/b""#])])
        let slashes = plain.replacingOccurrences(of: "a/b", with: #"a\/b"#)
        let unicodeQuote = plain.replacingOccurrences(of: #"\"source\""#, with: #"\u0022source\u0022"#)
        let newlines = plain.replacingOccurrences(of: #", \"counter_name"#, with: #",\n \"counter_name"#)
        for text in [slashes, unicodeQuote, newlines] {
            let outcome = decodeCeilometer(text)
            #expect(outcome.error == nil, "\(text.prefix(120))")
            #expect(outcome.samples.first?.resource == "a/b")
        }
    }

    @Test func metadataObjectTextIsUnescapedOnceOnBothPaths() throws {
        let plan = try MetadataPlan(keys: [MetadataKeySpec("flavor")])
        let record = Array(Ceilometer.record([Ceilometer.sample(metadata: #"{"flavor": {"name": "\u00e9", "q": "\""}}"#)]).utf8)
        for inPlace in [true, false] {
            let symbols = SymbolTable()
            let decoder = CeilometerDecoder(symbols: symbols, plan: plan)
            decoder.readsMessageInPlace = inPlace
            let outcome = decodeRecord(record, with: { (r, e, j) throws(RecordDecodeError) in
                try decoder.decode(r, emit: e, reject: j)
            }, symbols: symbols)
            #expect(outcome.samples.first?.metadata.first?.text == #"{"name": "\u00e9", "q": "\""}"#)
        }
    }
}
