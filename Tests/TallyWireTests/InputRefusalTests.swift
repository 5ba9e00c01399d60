import Testing
import TallyCore
@testable import TallyWire

/// Issue 14 items 3, 4 and 6 at the decoder: repeated keys, invalid UTF-8 and
/// notification priorities other than Ceilometer's `SAMPLE`.
@Suite struct InputRefusalTests {
    static func ceilometer(_ bytes: [UInt8], inPlace: Bool = true, options: DecoderOptions = DecoderOptions()) -> Outcome {
        let symbols = SymbolTable()
        let decoder = CeilometerDecoder(symbols: symbols, options: options)
        decoder.readsMessageInPlace = inPlace
        return decodeRecord(bytes, with: { (r, e, j) throws(RecordDecodeError) in try decoder.decode(r, emit: e, reject: j) },
                            symbols: symbols)
    }

    static func native(_ bytes: [UInt8]) -> Outcome {
        let symbols = SymbolTable()
        let decoder = SampleDecoder(format: .nativeOrCloudEvents, symbols: symbols)
        return decodeRecord(bytes, with: { (r, e, j) throws(RecordDecodeError) in _ = try decoder.decode(r, emit: e, reject: j) },
                            symbols: symbols)
    }

    // MARK: Duplicate keys (item 3)

    @Test(arguments: [
        (["counter_volume": "1", "x_counter_volume": "2"], "counter_volume"),
        (["resource_id": #""vm-1""#, "x_resource_id": #""vm-2""#], "resource_id"),
    ])
    func aRepeatedSampleFieldRefusesTheRecord(fields: [String: String], key: String) throws {
        // The second copy of the key is written under a placeholder, then renamed.
        let text = Ceilometer.record([Ceilometer.sample(fields)]).replacingOccurrences(of: "x_" + key, with: key)
        for inPlace in [true, false] {
            let outcome = Self.ceilometer(Array(text.utf8), inPlace: inPlace)
            let error = try #require(outcome.error, "inPlace \(inPlace)")
            #expect(error.reason == .malformedJSON)
            #expect(error.detail.contains("duplicate key '\(key)'"), "\(error.detail)")
            #expect(error.detail.contains("at byte "))
            #expect(outcome.samples.isEmpty)
        }
    }

    @Test func repeatedKeysAreFoundAtAnyDepthAndThroughEscapes() {
        let cases = [
            #"{"flavor": {"name": "m1.small", "name": "m1.tiny"}}"#,            // nested, skipped by the plan
            #"{"tags": [{"a": 1, "a": 2}]}"#,                                   // inside a list
            #"{"flavor_name": "m1.small", "flavor\u005fname": "m1.xlarge"}"#,     // same key, escaped
        ]
        for metadata in cases {
            for inPlace in [true, false] {
                let outcome = Self.ceilometer(Array(Ceilometer.record([Ceilometer.sample(metadata: metadata)]).utf8), inPlace: inPlace)
                #expect(outcome.error?.reason == .malformedJSON, "\(metadata) inPlace \(inPlace)")
                #expect(outcome.error?.detail.contains("duplicate key") == true, "\(String(describing: outcome.error))")
            }
        }
    }

    /// Objects past the linear-scan limit move to the hash table: a repeat is still found
    /// wherever it is, and many distinct keys (siblings sharing names) are fine.
    @Test(arguments: [5, 31, 32, 33, 100, 20_000])
    func largeObjectsAreCheckedToo(keys: Int) {
        let members = (0..<keys).map { "\"k\($0)\": \($0)" }
        let distinct = "{" + members.joined(separator: ", ") + "}"
        let siblings = "{\"a\": \(distinct), \"b\": \(distinct)}"
        let ok = Self.ceilometer(Array(Ceilometer.record([Ceilometer.sample(metadata: siblings)]).utf8))
        #expect(ok.error == nil, "\(String(describing: ok.error))")
        for repeated in Set([0, keys / 2, keys - 1]) {
            let bad = "{" + (members + ["\"k\(repeated)\": -1"]).joined(separator: ", ") + "}"
            let outcome = Self.ceilometer(Array(Ceilometer.record([Ceilometer.sample(metadata: bad)]).utf8))
            #expect(outcome.error?.detail.contains("duplicate key 'k\(repeated)'") == true, "\(keys) keys, k\(repeated)")
        }
    }

    @Test func theSameKeyInDifferentObjectsIsFine() {
        let metadata = #"{"name": "a", "flavor": {"name": "m1.small", "id": "1"}, "image": {"name": "cirros", "id": "2"}}"#
        let outcome = Self.ceilometer(Array(Ceilometer.record([Ceilometer.sample(metadata: metadata),
                                                                Ceilometer.sample(["message_id": #""other""#])]).utf8))
        #expect(outcome.error == nil)
        #expect(outcome.samples.count == 2)
    }

    @Test func nativeAndCloudEventsRefuseRepeatedKeysToo() {
        let native = #"{"id": "s-1", "metric": "cpu", "type": "gauge", "unit": "ns", "volume": 1, "volume": 1000, "timestamp": "2026-11-02T00:00:00Z", "project_id": "p", "resource_id": "r"}"#
        #expect(Self.native(Array(native.utf8)).error?.detail.contains("duplicate key 'volume'") == true)
        let event = #"{"specversion": "1.0", "id": "e", "id": "f", "source": "s", "type": "t", "data": {}}"#
        #expect(Self.native(Array(event.utf8)).error?.reason == .malformedJSON)
    }

    // MARK: Invalid UTF-8 (item 4)

    @Test(arguments: [
        ([0x80], "stray continuation byte"),
        ([0xC0, 0xAF], "overlong"),
        ([0xE0, 0x80, 0xAF], "overlong"),
        ([0xF0, 0x80, 0x80, 0xAF], "overlong"),
        ([0xED, 0xA0, 0x80], "surrogate"),
        ([0xED, 0xBF, 0xBF], "surrogate"),
        ([0xF4, 0x90, 0x80, 0x80], "above U+10FFFF"),
        ([0xF5, 0x80, 0x80, 0x80], "cannot start"),
        ([0xFF], "cannot start"),
        ([0xC3], "truncated"),
        ([0xE2, 0x82], "truncated"),
    ] as [([UInt8], String)])
    func invalidUTF8IsRefusedWithItsOffset(bad: [UInt8], problem: String) throws {
        let mark = Array("MARK".utf8)
        let message = Array(Ceilometer.notification(payload: "[" + Ceilometer.sample(["resource_id": #""vm-MARK""#]) + "]").utf8)
        let record = Array(Ceilometer.record([Ceilometer.sample(["resource_id": #""vm-MARK""#])]).utf8)
        let inMessage = message.indices.first { message[$0...].starts(with: mark) }!
        let inRecord = record.indices.first { record[$0...].starts(with: mark) }!
        let bytes = Array(record[..<inRecord]) + bad + Array(record[(inRecord + 4)...])
        var details: [String] = []
        for inPlace in [true, false] {
            let outcome = Self.ceilometer(bytes, inPlace: inPlace)
            let error = try #require(outcome.error)
            #expect(error.reason == .malformedJSON)
            #expect(error.detail.contains("invalid UTF-8"), "\(error.detail)")
            #expect(error.detail.contains(problem), "\(error.detail)")
            // The offset is in the notification text (oslo.message once unescaped), on both paths.
            #expect(error.detail.hasPrefix("oslo.message: ") && error.detail.hasSuffix("at byte \(inMessage)"), "\(error.detail)")
            details.append(error.detail)
        }
        #expect(details[0] == details[1])
        // Outside a Ceilometer envelope, in a native sample's metadata, too.
        let native = Array(#"{"id": "s-1", "metric": "cpu", "type": "gauge", "unit": "ns", "volume": 1, "timestamp": "2026-11-02T00:00:00Z", "project_id": "p", "resource_id": "r", "metadata": {"k": "x"#.utf8)
            + bad + Array(#""}}"#.utf8)
        let error = try #require(Self.native(native).error)
        #expect(error.detail.contains("invalid UTF-8") && error.detail.hasSuffix("at byte \(native.count - bad.count - 3)"), "\(error.detail)")
    }

    @Test func loneSurrogateEscapesAreRefusedAndPairsKept() throws {
        for inPlace in [true, false] {
            let lone = Self.ceilometer(Array(Ceilometer.record([Ceilometer.sample(["resource_id": #""vm-\ud800""#])]).utf8),
                                       inPlace: inPlace)
            #expect(lone.error?.reason == .malformedJSON)
            #expect(lone.error?.detail.contains("lone UTF-16 high surrogate") == true, "\(String(describing: lone.error))")
            let pair = Self.ceilometer(Array(Ceilometer.record([Ceilometer.sample(["resource_id": #""vm-\ud83d\ude00""#])]).utf8),
                                       inPlace: inPlace)
            #expect(pair.samples.first?.resource == "vm-😀")
        }
    }

    @Test func wellFormedUTF8IsKept() throws {
        let text = "équipe-données 東京 😀 \u{10FFFF}"
        let outcome = Self.ceilometer(Array(Ceilometer.record([Ceilometer.sample(["resource_id": "\"\(text)\""])]).utf8))
        #expect(outcome.error == nil)
        #expect(outcome.samples.first?.resource == text)
    }

    // MARK: Priority (item 6)

    static func notification(priority: String?) -> [UInt8] {
        var text = Ceilometer.record([Ceilometer.sample()])
        if let priority {
            text = text.replacingOccurrences(of: #"\"priority\": \"SAMPLE\""#, with: #"\"priority\": \#(priority)"#)
        } else {
            text = text.replacingOccurrences(of: #"\"priority\": \"SAMPLE\", "#, with: "")
        }
        return Array(text.utf8)
    }

    @Test(arguments: [#"\"INFO\""#, #"\"sample\""#, #"\"ERROR\""#, "null", "3"])
    func otherPrioritiesAreRefused(priority: String) throws {
        for inPlace in [true, false] {
            let outcome = Self.ceilometer(Self.notification(priority: priority), inPlace: inPlace)
            let error = try #require(outcome.error, "\(priority)")
            #expect(error.reason == .unexpectedPriority)
            #expect(error.detail.contains("SAMPLE"), "\(error.detail)")
            #expect(outcome.samples.isEmpty)
        }
    }

    @Test func sampleOrAConfiguredPriorityOrNoneIsAccepted() {
        #expect(Self.ceilometer(Self.notification(priority: #"\"SAMPLE\""#)).samples.count == 1)
        #expect(Self.ceilometer(Self.notification(priority: nil)).samples.count == 1)
        let info = DecoderOptions(acceptedPriorities: ["SAMPLE", "INFO"])
        #expect(Self.ceilometer(Self.notification(priority: #"\"INFO\""#), options: info).samples.count == 1)
        #expect(Self.ceilometer(Self.notification(priority: #"\"WARN\""#), options: info).error?.reason == .unexpectedPriority)
        let any = DecoderOptions(acceptedPriorities: [])
        #expect(Self.ceilometer(Self.notification(priority: #"\"WARN\""#), options: any).samples.count == 1)
    }
}
