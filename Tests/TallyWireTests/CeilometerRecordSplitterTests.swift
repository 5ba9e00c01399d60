import Foundation
import Testing
import TallyCore
import TallyCrypto
@testable import TallyWire

/// `CeilometerRecordSplitter` on the real fixture: the records it writes decode (with
/// signature checks on) to exactly the original's samples, split by resource, and hold
/// the original's bytes about once, not once per resource.
@Suite struct CeilometerRecordSplitterTests {
    /// Decodes with the fixture's telemetry secret: a sample whose content changed fails.
    static func decode(_ bytes: [UInt8]) throws -> Outcome {
        let (decoder, symbols) = try SignatureTests.decoder()
        return SignatureTests.decode(bytes, decoder, symbols)
    }

    /// A sample as comparable text: id, content and metadata.
    static func describe(_ s: Decoded) -> String {
        "\(s.key) \(s.metric) \(s.resource) \(s.symbols.string(s.project)) \(s.symbols.string(s.user)) \(s.timestamp.micros) \(s.volume.canonicalText) \(s.unit) \(s.counterType)"
    }

    @Test func everyMultiResourceFixtureRecordSplitsIntoItsResourcesWithSignaturesIntact() throws {
        let splitter = CeilometerRecordSplitter()
        var splitRecords = 0
        for record in Fixture.records {
            let original = try Self.decode(record)
            #expect(original.error == nil && original.rejections.isEmpty)
            // Group by resource, in payload order (good samples come in payload order).
            var groupOf: [String: Int] = [:]
            var groups: [[Int]] = []
            for (i, s) in original.samples.enumerated() {
                if let g = groupOf[s.resource] { groups[g].append(i) } else { groupOf[s.resource] = groups.count; groups.append([i]) }
            }
            guard groups.count > 1 else { continue }
            splitRecords += 1
            var pieces: [[UInt8]] = []
            let done = record.withUnsafeBytes { raw in
                splitter.split(raw, sampleCount: original.samples.count, groups: groups) { _, value in pieces.append(Array(value)) }
            }
            #expect(done)
            #expect(pieces.count == groups.count)
            var resplit: [String] = []
            for (g, piece) in pieces.enumerated() {
                let decoded = try Self.decode(piece)
                #expect(decoded.error == nil, "piece \(g): \(String(describing: decoded.error))")
                #expect(decoded.rejections.isEmpty, "signatures still verify: \(decoded.rejections)")
                #expect(Set(decoded.samples.map(\.resource)).count == 1, "one resource per piece")
                #expect(decoded.samples.map(Self.describe) == groups[g].map { Self.describe(original.samples[$0]) })
                resplit += decoded.samples.map(Self.describe)
            }
            #expect(resplit.sorted() == original.samples.map(Self.describe).sorted(), "every sample once")
            // Bounded: the pieces hold the payload once plus one envelope (the notification
            // without its payload) per piece, not the whole record per piece.
            let total = pieces.reduce(0) { $0 + $1.count }
            let largestPiece = pieces.map(\.count).max() ?? 0
            #expect(total < record.count + pieces.count * 600, "\(total) bytes written for a record of \(record.count)")
            #expect(largestPiece < record.count, "no piece is a copy of the whole record")
            #expect(pieces.allSatisfy { $0.starts(with: Array("{\"oslo.version\": \"2.0\", \"oslo.message\": \"{".utf8)) })
        }
        #expect(splitRecords > 300, "the fixture's polled records hold several resources each: \(splitRecords)")
    }

    @Test func aNotificationWithoutTheEnvelopeAndEscapesInsideSplitsToo() throws {
        func sample(_ id: String, _ resource: String, _ name: String) -> String {
            #"{"counter_name": "vcpus", "counter_type": "gauge", "counter_unit": "vcpu", "counter_volume": 2, "user_id": "u", "project_id": "p", "resource_id": "\#(resource)", "timestamp": "2026-11-02T00:00:00Z", "resource_metadata": {"display_name": "\#(name)"}, "message_id": "\#(id)", "source": "openstack"}"#
        }
        let bare = #"{"priority": "SAMPLE", "payload": [\#(sample("00000000-0000-0000-0000-000000000001", "vm-1", #"caf\u00e9 \"one\""#)), \#(sample("00000000-0000-0000-0000-000000000002", "vm-2", #"tab\there"#))], "event_type": "metering"}"#
        let escapedMessage = String(data: try JSONSerialization.data(withJSONObject: [bare], options: []), encoding: .utf8)!
            .dropFirst().dropLast()  // the JSON string of the notification, quotes included
        let enveloped = #"{"oslo.version": "2.0", "oslo.message": \#(escapedMessage)}"#
        for text in [bare, enveloped] {
            let record = Array(text.utf8)
            let original = decodeCeilometer(text)
            #expect(original.error == nil && original.samples.count == 2, "\(String(describing: original.error))")
            var pieces: [[UInt8]] = []
            let done = record.withUnsafeBytes { raw in
                CeilometerRecordSplitter().split(raw, sampleCount: 2, groups: [[1], [0]]) { _, value in pieces.append(Array(value)) }
            }
            #expect(done && pieces.count == 2)
            let first = decodeCeilometer(String(decoding: pieces[0], as: UTF8.self))
            let second = decodeCeilometer(String(decoding: pieces[1], as: UTF8.self))
            #expect(first.samples.map(\.resource) == ["vm-2"] && second.samples.map(\.resource) == ["vm-1"])
        }
    }

    @Test func aRecordItCannotReadIsLeftWhole() {
        let splitter = CeilometerRecordSplitter()
        for text in [#"{"oslo.message": "{\"payload\": [1, 2]}"}"#, "garbage", #"{"payload": {}}"#] {
            var called = false
            let done = Array(text.utf8).withUnsafeBytes { raw in
                splitter.split(raw, sampleCount: 3, groups: [[0], [1, 2]]) { _, _ in called = true }
            }
            #expect(!done && !called, "\(text)")
        }
    }
}
