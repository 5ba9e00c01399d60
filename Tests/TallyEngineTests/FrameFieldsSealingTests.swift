import Testing
import TallyCore
@testable import TallyEngine

/// The engine writes frames straight from the window's state (`FrameFields`); a frame
/// sink also gets the `Frame` value, built the old way (`Frame.id`, dictionaries). Sealing
/// that value must give the very bytes the engine wrote, so the two encodings agree frame
/// by frame, including texts that need escaping, non-ASCII texts, booleans and nulls.
@Suite struct FrameFieldsSealingTests {
    typealias Sunk = (frame: Frame, bytes: [UInt8])

    static func sinkFrames(rules: String?, batches: [[String]]) throws -> [Sunk] {
        let h = try EngineHarness(rules: rules)
        var sunk: [Sunk] = []
        h.rater.frameSink = { frame, bytes in sunk.append((frame, bytes)) }
        for (i, batch) in batches.enumerated() { try h.feed(batch, endOfInput: i == batches.count - 1) }
        #expect(h.sent.filter { $0.topic == "tally.frames" }.isEmpty)  // the sink took them all
        return sunk
    }

    static func expectSealsAlike(_ sunk: [Sunk]) {
        for (frame, bytes) in sunk {
            var value = frame
            let resealed = value.seal(previousHash: frame.previousHash)
            #expect(resealed == bytes, "frame \(frame.frameId): \(String(decoding: bytes, as: UTF8.self))")
            #expect(value.contentHash == frame.contentHash)
        }
    }

    @Test func sinkFramesSealToTheBytesTheEngineWrote() throws {
        let sunk = try Self.sinkFrames(rules: FrameBytesGoldenTests.rules, batches: FrameBytesGoldenTests.input())
        #expect(sunk.count == 16)
        Self.expectSealsAlike(sunk)
        // And the sink's bytes are the live rater's bytes (the golden digest).
        var all: [UInt8] = []
        for (_, bytes) in sunk { all += bytes; all.append(0x0A) }
        #expect(SHA256.hex(all) == "6c6340d165a6c586c7d19327fa1eb49d8a9ebab13cca94e5841ce2acea595aa7")
    }

    @Test func escapedNonASCIIBooleanAndNullTextsSealAlike() throws {
        func sample(_ n: Int, resource: String, project: String, flavor: String, vcpus: String) -> String {
            #"{"id":"00000000-0000-4000-8000-00000000010\#(n)","metric":"instance","type":"gauge","unit":"u","volume":1,"timestamp":"2026-11-02T00:1\#(n):00Z","project_id":"\#(project)","user_id":"u1","resource_id":"\#(resource)","metadata":{"flavor_name":\#(flavor),"vcpus":\#(vcpus)}}"#
        }
        let batch = [
            sample(1, resource: #"vm-\"quoted\"\\"#, project: "p1", flavor: #""m1.small""#, vcpus: "true"),
            sample(2, resource: "vm-é", project: "projet-été", flavor: "null", vcpus: "2.50"),
            sample(3, resource: #"vm-\ttab"#, project: "p1", flavor: #""m1\u0001""#, vcpus: #"{"b":1,"a":[2]}"#),
            sample(4, resource: "vm-4", project: "p2", flavor: "false", vcpus: #""""#),
        ]
        let sunk = try Self.sinkFrames(rules: nil, batches: [batch])
        #expect(sunk.count == 4)
        Self.expectSealsAlike(sunk)
        let texts = sunk.map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(texts.contains { $0.contains(#""resource_id":"vm-\"quoted\"\\""#) })
        #expect(texts.contains { $0.contains(#""resource_id":"vm-é""#) })
        #expect(texts.contains { $0.contains(#""metadata":{"vcpus":true}"#) })
    }
}
