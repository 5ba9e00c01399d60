import Testing
import TallyCore
@testable import TallyEngine

/// The frames the engine emits for a fixed input, held to the bytes the engine wrote
/// before its closing path was rewritten to write frames straight into one reused buffer
/// (issue 10): groupby and metadata members, hashmap explanations, a late revision with a
/// previous price, both frames partitions and their hash chains. The stored value is the
/// SHA-256 of every frame's bytes, in emission order, each followed by a newline.
@Suite struct FrameBytesGoldenTests {
    static let rules = """
    version: 1
    groups: [compute]
    services:
      instance:
        fields:
          flavor_name:
            mappings:
              - {id: m1-small, value: m1.small, type: flat, cost: 0.025, group: compute}
              - {id: m1-large, value: m1.large, type: rate, cost: 1.5, group: compute}
    """

    static func input() -> [[String]] {
        typealias H = EngineHarness
        var first: [String] = []
        for i in 0..<12 {
            let minute = String(i * 4 + 1).count == 1 ? "0\(i * 4 + 1)" : "\(i * 4 + 1)"
            first.append(H.sample(id: "00000000-0000-4000-8000-0000000000\(10 + i)", metric: i % 3 == 0 ? "instance" : "cpu_hours",
                                  volume: i % 2 == 0 ? "1" : "2.5", at: "2026-11-02T0\(i % 3):\(minute):00Z",
                                  project: "p\(i % 4)", resource: "vm-\(i % 5)", flavor: i % 2 == 0 ? "m1.small" : "m1.large"))
        }
        first.append(H.sample(id: "00000000-0000-4000-8000-000000000099", metric: "bytes_out", volume: "100",
                              at: "2026-11-02T00:10:00Z", resource: "vm-1"))
        first.append(H.sample(id: "00000000-0000-4000-8000-000000000098", metric: "bytes_out", volume: "350",
                              at: "2026-11-02T01:10:00Z", resource: "vm-1"))
        first.append(H.sample(id: "00000000-0000-4000-8000-000000000097", metric: "cpu_hours", volume: "1",
                              at: "2026-11-02T03:30:00Z", resource: "vm-9"))
        // A late sample for a closed window: its next revision, with a previous price.
        let late = [H.sample(id: "00000000-0000-4000-8000-000000000096", metric: "cpu_hours", volume: "7",
                             at: "2026-11-02T01:50:00Z", project: "p1", resource: "vm-1")]
        return [first, late]
    }

    static func framesDigest() throws -> (count: Int, digest: String, revised: Int) {
        let h = try EngineHarness(rules: rules)
        let batches = input()
        try h.feed(batches[0])
        try h.feed(batches[1], endOfInput: true)
        var all: [UInt8] = []
        var count = 0, revised = 0
        for m in h.sent where m.topic == "tally.frames" {
            all += m.value
            all.append(0x0A)
            count += 1
            if String(decoding: m.value, as: UTF8.self).contains(#""revision":2"#) { revised += 1 }
        }
        return (count, SHA256.hex(all), revised)
    }

    @Test func theEngineWritesTheSameFrameBytesAsBefore() throws {
        let (count, digest, revised) = try Self.framesDigest()
        #expect(count == 16)
        #expect(revised == 1)  // the late sample's revision is among them
        #expect(digest == "6c6340d165a6c586c7d19327fa1eb49d8a9ebab13cca94e5841ce2acea595aa7")
    }
}
