import Foundation
import Testing
import TallyCore
@testable import TallyWire
import TallySeededRandom

/// Random samples written by Foundation's JSON encoder (independent of the decoder),
/// then decoded: every field must come back exactly.
@Suite struct RoundTripTests {
    /// A seeded generator, so failures reproduce.
    typealias Rng = SplitMix64

    struct Expected {
        var id: String, metric: String, type: CounterType, unit: String, volumeText: String
        var micros: Int64, stamp: String, project: String?, user: String?, resource: String, label: String
    }

    static func randomSample(_ rng: inout Rng) -> Expected {
        let types: [CounterType] = [.gauge, .delta, .cumulative]
        let digits = String(rng.next() % 1_000_000_000_000_000_000)
        let scale = rng.int(0...6)
        let volumeText = scale == 0 || digits.count <= scale ? digits
            : String(digits.dropLast(scale)) + "." + String(digits.suffix(scale))
        let seconds = Int64(rng.int(0...4_000_000_000))
        let micros = Int64(rng.int(0...999_999))
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let stamp = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00", c.year!, c.month!, c.day!, c.hour!,
                           c.minute!, c.second!, micros)
        return Expected(id: rng.int(0...1) == 0 ? UUID().uuidString : "i" + rng.text(), metric: "m" + rng.text(),
                        type: types[rng.int(0...2)], unit: rng.text(), volumeText: volumeText,
                        micros: seconds * 1_000_000 + micros, stamp: stamp,
                        project: rng.int(0...3) == 0 ? nil : rng.text(), user: rng.int(0...3) == 0 ? nil : rng.text(),
                        resource: "r" + rng.text(), label: rng.text())
    }

    static func json(_ e: Expected, cloudEvent: Bool) throws -> [UInt8] {
        var sample: [String: Any] = [
            "metric": e.metric, "type": "\(e.type)", "unit": e.unit, "volume": "__VOLUME__",
            "timestamp": e.stamp, "project_id": e.project ?? NSNull(), "user_id": e.user ?? NSNull(),
            "resource_id": e.resource, "metadata": ["label": e.label, "nested": ["label": e.label]],
        ]
        var object: [String: Any]
        if cloudEvent {
            object = ["specversion": "1.0", "id": e.id, "source": "/test", "type": "sample", "data": sample]
        } else {
            sample["id"] = e.id
            object = sample
        }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        return Array(text.replacingOccurrences(of: "\"__VOLUME__\"", with: e.volumeText).utf8)
    }

    @Test(arguments: [false, true])
    func randomSamplesComeBackExactly(cloudEvent: Bool) throws {
        var rng = Rng(state: cloudEvent ? 7 : 11)
        let symbols = SymbolTable()
        let plan = try MetadataPlan(keys: [MetadataKeySpec("label"), MetadataKeySpec("deep", alternatives: ["nested.label"])])
        let decoder = SampleDecoder(format: .nativeOrCloudEvents, symbols: symbols, plan: plan)
        for _ in 0..<300 {
            let e = Self.randomSample(&rng)
            let outcome = decodeRecord(try Self.json(e, cloudEvent: cloudEvent), with: { (r, emit, reject) throws(RecordDecodeError) in
                try decoder.decode(r, emit: emit, reject: reject)
            }, symbols: symbols)
            #expect(outcome.error == nil && outcome.rejections.isEmpty, "\(outcome.error as Any) \(outcome.rejections)")
            let d = try #require(outcome.samples.first)
            let expectedKey = cloudEvent
                ? Array("/test".utf8).withUnsafeBytes { s in Array(e.id.utf8).withUnsafeBytes { SampleKey.cloudEvent(source: s, id: $0) } }
                : SampleKey.identity(of: e.id)
            #expect(d.key == expectedKey)
            #expect(d.metric == e.metric && d.unit == e.unit && d.counterType == e.type && d.resource == e.resource)
            #expect(d.volume.description == e.volumeText)
            #expect(d.timestamp.micros == e.micros, "\(e.stamp)")
            #expect(d.project == (e.project.map { symbols.intern($0) } ?? .none))
            #expect(d.user == (e.user.map { symbols.intern($0) } ?? .none))
            #expect(d.metadata.map(\.text) == [e.label, e.label])
        }
    }
}

extension SplitMix64 {
    /// A short text with quotes, backslashes, control characters and non-ASCII letters.
    mutating func text() -> String {
        let alphabet = Array("abcXYZ09-_./ \"\\é日😀\u{1}\t")
        return String((0..<int(0...12)).map { _ in alphabet[int(0...(alphabet.count - 1))] })
    }
}
