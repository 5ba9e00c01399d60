import Foundation
import Testing
import TallyCore
@testable import TallyWire

/// The native sample and CloudEvents formats, checked against the golden examples in
/// schemas/examples/.
@Suite struct NativeAndCloudEventsTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../schemas/examples").standardizedFileURL

    /// 2026-11-02T00:00:00Z in microseconds (Python: datetime(2026, 11, 2, tzinfo=utc).timestamp()).
    static let midnight: Int64 = 1_793_577_600_000_000

    static func example(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: examples.appendingPathComponent(name)))
    }

    static let plan = try! MetadataPlan(keys: [
        MetadataKeySpec("volume_type"), MetadataKeySpec("display_name"), MetadataKeySpec("size"),
        MetadataKeySpec("flavor_name", alternatives: ["flavor_name", "flavor.name"]),
    ])

    static func decode(_ bytes: [UInt8], format: InputFormat) -> Outcome {
        let symbols = SymbolTable()
        let decoder = SampleDecoder(format: format, symbols: symbols, plan: plan)
        return decodeRecord(bytes, with: { (r, e, j) throws(RecordDecodeError) in
            try decoder.decode(r, emit: e, reject: j)
        }, symbols: symbols)
    }

    /// The example as Foundation reads it, to compare field by field.
    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test(arguments: [InputFormat.native, .nativeOrCloudEvents])
    func nativeExampleRoundTrips(format: InputFormat) throws {
        let bytes = try Self.example("native-sample.json")
        let json = try Self.object(bytes)
        let outcome = Self.decode(bytes, format: format)
        #expect(outcome.error == nil && outcome.rejections.isEmpty)
        let sample = try #require(outcome.samples.first)
        #expect(sample.key == SampleKey.identity(of: json["id"] as! String))
        #expect(sample.metric == json["metric"] as? String)
        #expect(sample.counterType == .gauge)
        #expect(sample.unit == json["unit"] as? String)
        #expect(sample.volume.description == "\(json["volume"] as! Int)")
        #expect(sample.resource == json["resource_id"] as? String)
        #expect(sample.symbols.string(sample.project) == json["project_id"] as? String)
        #expect(sample.symbols.string(sample.user) == json["user_id"] as? String)
        let metadata = json["metadata"] as! [String: Any]
        #expect(sample.metadata[0].text == metadata["volume_type"] as? String)
        #expect(sample.metadata[1].text == metadata["display_name"] as? String)
        #expect(sample.metadata[2].kind == .int && sample.metadata[2].text == "10")
        #expect(sample.metadata[3].kind == .absent)
        #expect(sample.timestamp.micros == Self.midnight + (80 * 60) * 1_000_000 + 500_000)  // 01:20:00.5
    }

    @Test func decimalStringVolumeAndNonUUIDIdentity() throws {
        let bytes = try Self.example("native-sample-decimal-string.json")
        let sample = try #require(Self.decode(bytes, format: .native).samples.first)
        #expect(sample.volume.coefficient == 21 && sample.volume.exponent == 16)
        #expect(sample.counterType == .delta)
        #expect(sample.user == .none)
        #expect(sample.key == SampleKey.identity(of: "usage-2026-11-02T03:00Z-gw-7"))
        #expect(sample.key != SampleKey.identity(of: "usage-2026-11-02T03:00Z-gw-8"))
        #expect(sample.metadata[3].text == "c2.highmem")
        #expect(sample.timestamp.micros == Self.midnight + 3 * 3600 * 1_000_000)
    }

    @Test(arguments: [InputFormat.cloudEvents, .nativeOrCloudEvents])
    func cloudEventExampleRoundTrips(format: InputFormat) throws {
        let bytes = try Self.example("cloudevent.json")
        let json = try Self.object(bytes)
        let data = json["data"] as! [String: Any]
        let outcome = Self.decode(bytes, format: format)
        #expect(outcome.error == nil && outcome.rejections.isEmpty)
        let sample = try #require(outcome.samples.first)
        let source = Array((json["source"] as! String).utf8), id = Array((json["id"] as! String).utf8)
        #expect(sample.key == source.withUnsafeBytes { s in id.withUnsafeBytes { SampleKey.cloudEvent(source: s, id: $0) } })
        #expect(sample.metric == data["metric"] as? String)
        #expect(sample.volume.description == "1")
        // No data.timestamp, so the event's time (04:47:12.250Z) is used.
        #expect(sample.timestamp.micros == Self.midnight + (4 * 3600 + 47 * 60 + 12) * 1_000_000 + 250_000)
        #expect(sample.metadata[3].text == "m1.large")
    }

    @Test func cloudEventIdentityDependsOnSourceAndId() {
        func key(_ source: String, _ id: String) -> SampleKey {
            Array(source.utf8).withUnsafeBytes { s in Array(id.utf8).withUnsafeBytes { SampleKey.cloudEvent(source: s, id: $0) } }
        }
        #expect(key("a", "1") == key("a", "1"))
        #expect(key("a", "1") != key("b", "1"))
        #expect(key("ab", "c") != key("a", "bc"))
    }

    static func event(_ replacing: [String: String] = [:]) -> String {
        var members = [("specversion", #""1.0""#), ("id", #""e1""#), ("source", #""/s""#), ("type", #""t""#),
                       ("time", #""2026-11-02T00:00:00Z""#),
                       ("data", #"{"metric": "cpu", "type": "cumulative", "unit": "ns", "volume": 5, "project_id": "p", "resource_id": "r"}"#)]
        for (k, v) in replacing {
            if let i = members.firstIndex(where: { $0.0 == k }) { members[i].1 = v } else { members.append((k, v)) }
        }
        return "{" + members.filter { $0.1 != "<omit>" }.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    @Test(arguments: [
        (["specversion": #""0.3""#], "specversion"),
        (["id": "<omit>"], "'id'"),
        (["source": #""""#], "'source'"),
        (["type": "7"], "'type'"),
        (["data": "<omit>"], "no data"),
        (["datacontenttype": #""text/plain""#], "datacontenttype"),
        (["data_base64": #""AAAA""#], "data_base64"),
    ])
    func badCloudEventEnvelopes(replacing: [String: String], detail: String) throws {
        let outcome = Self.decode(Array(Self.event(replacing).utf8), format: .cloudEvents)
        let error = try #require(outcome.error)
        #expect(error.reason == .badEnvelope)
        #expect(error.detail.contains(detail), "\(error.detail)")
        #expect(outcome.samples.isEmpty)
    }

    @Test func cloudEventWithJSONSuffixContentTypeAndBadTime() throws {
        let good = Self.decode(Array(Self.event(["datacontenttype": #""application/cloudevents+json; charset=utf-8""#]).utf8),
                               format: .cloudEvents)
        #expect(good.samples.count == 1)
        let badTime = Self.decode(Array(Self.event(["time": #""2026-02-29T00:00:00Z""#]).utf8), format: .cloudEvents)
        #expect(badTime.rejections.first?.reason == .badTimestamp)
        let noTime = Self.decode(Array(Self.event(["time": "<omit>"]).utf8), format: .cloudEvents)
        #expect(noTime.rejections.first?.reason == .schemaViolation)
    }

    @Test func nativeSchemaViolations() throws {
        let missing = Self.decode(Array(#"{"id": "x", "metric": "cpu"}"#.utf8), format: .native)
        #expect(missing.rejections.first?.reason == .schemaViolation)
        #expect(missing.rejections.first?.detail == "sample has no type")
        let array = Self.decode(Array("[]".utf8), format: .native)
        #expect(array.rejections.first?.detail == "sample is an array, not an object")
        let truncated = Self.decode(Array(#"{"id": "x", "metric": "#.utf8), format: .native)
        #expect(truncated.error?.reason == .malformedJSON)
    }

    @Test func snifferTellsTheFormatsApart() throws {
        func detect(_ text: String) -> InputFormat {
            Array(text.utf8).withUnsafeBytes { SampleFormatSniffer.detect($0) }
        }
        #expect(detect(Self.event()) == .cloudEvents)
        #expect(detect(#"{"id": "1", "data": {}, "specversion": "1.0"}"#) == .cloudEvents)
        #expect(detect(String(decoding: try Self.example("native-sample.json"), as: UTF8.self)) == .native)
        #expect(detect("not json") == .native)
    }
}
