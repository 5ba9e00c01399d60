import Foundation
import Testing
import TallyCore
import TallyEngine

/// Issue 8 item 5: a notification re-delivered under new sample ids (on another
/// partition) is folded once, and the frame does not depend on which copy came first:
/// the lineage digest is over the samples' content.
@Suite struct RedeliveredCopyTests {
    typealias H = EngineHarness

    static let original = H.sample(id: "00000000-0000-4000-8000-000000000001", volume: "3", at: "2026-11-02T00:10:00Z")
    /// The same usage under a new id (the notification re-published).
    static let copy = H.sample(id: "00000000-0000-4000-8000-0000000000c1", volume: "3.0", at: "2026-11-02T00:10:00Z")
    static let other = H.sample(id: "00000000-0000-4000-8000-000000000002", volume: "2", at: "2026-11-02T00:40:00Z")

    static func lineage(_ h: EngineHarness) throws -> [String: Any] {
        let frames = h.frames()
        try #require(frames.count == 1)
        return try #require(frames[0]["lineage"] as? [String: Any])
    }

    @Test func theDigestDoesNotDependOnWhichCopyWasFolded() throws {
        let first = try EngineHarness()
        try first.feedInterleaved([(0, Self.original), (1, Self.copy), (0, Self.other)], endOfInput: true)
        let second = try EngineHarness()
        try second.feedInterleaved([(1, Self.copy), (0, Self.original), (0, Self.other)], endOfInput: true)
        let a = try Self.lineage(first), b = try Self.lineage(second)
        #expect(first.frames()[0]["quantity"] as? String == "5")
        #expect(second.frames()[0]["quantity"] as? String == "5")
        #expect(a["sample_count"] as? Int == 2 && b["sample_count"] as? Int == 2)
        #expect(a["sample_digest"] as? String == b["sample_digest"] as? String)
        // Only the ranges tell the copies apart.
        #expect((a["ranges"] as? [Any])?.count == 1 && (b["ranges"] as? [Any])?.count == 2)
        #expect(first.rater.counters.samplesDuplicate == 1 && second.rater.counters.samplesDuplicate == 1)
    }

    @Test func samplesWithOtherContentHaveAnotherDigest() throws {
        let one = try EngineHarness()
        try one.feedInterleaved([(0, Self.original)], endOfInput: true)
        let moved = try EngineHarness()
        try moved.feedInterleaved([(0, Self.original.replacingOccurrences(of: "00:10:00", with: "00:10:01"))], endOfInput: true)
        #expect(try Self.lineage(one)["sample_digest"] as? String != Self.lineage(moved)["sample_digest"] as? String)
    }

    @Test func theDescriptionDoesNotDependOnWhichCopyWasFolded() throws {
        // Another sample of the same time, between the copies' ids, with other metadata:
        // ties must not go by id, or the copy folded would pick the frame's metadata.
        let at = "2026-11-02T00:10:00Z"
        let s1 = H.sample(id: "00000000-0000-4000-8000-000000000001", metric: "instance", volume: "1", at: at, flavor: "m1.small")
        let s2 = s1.replacingOccurrences(of: "000000000001", with: "000000000009")
        let t = H.sample(id: "00000000-0000-4000-8000-000000000005", metric: "instance", volume: "2", at: at, flavor: "m1.small")
            .replacingOccurrences(of: "\"vcpus\":2", with: "\"vcpus\":4")
        func frame(_ order: [(Int32, String)]) throws -> NSDictionary {
            let h = try EngineHarness()
            try h.feedInterleaved(order.map { (partition: $0.0, value: $0.1) }, endOfInput: true)
            var f = try #require(h.frames().first)
            #expect(h.frames().count == 1)
            f["lineage"] = nil; f["content_hash"] = nil; f["previous_hash"] = nil
            return f as NSDictionary
        }
        let a = try frame([(0, s1), (0, t), (1, s2)]), b = try frame([(1, s2), (0, s1), (0, t)])
        #expect(a == b)
    }
}
