import Foundation
import Testing
import TallyCore
import TallyEngine

/// Issue 14 item 2: the same sample id with other content is not a duplicate. The copy
/// read first stands; the later one is dead-lettered as `conflicting-duplicate`, naming
/// the id and the first copy's coordinates — also after a restart.
@Suite struct ConflictingDuplicateTests {
    typealias H = EngineHarness
    static let id = "00000000-0000-4000-8000-00000000000a"

    static func conflicts(_ h: EngineHarness) -> [[String: Any]] {
        h.deadLetters().filter { $0["reason"] as? String == "conflicting-duplicate" }
    }

    @Test func theLaterCopyWithOtherContentIsDeadLetteredNamingTheFirst() throws {
        let h = try EngineHarness()
        try h.feed([H.sample(id: "other-1", volume: "1", at: "2026-11-02T00:05:00Z"),
                    H.sample(id: Self.id, volume: "3", at: "2026-11-02T00:10:00Z"),
                    H.sample(id: Self.id, volume: "300", at: "2026-11-02T00:10:00Z"),   // same id, other volume
                    H.sample(id: Self.id, volume: "3", at: "2026-11-02T00:10:00Z")],    // a true re-delivery
                   endOfInput: true)
        let letters = Self.conflicts(h)
        try #require(letters.count == 1)
        let detail = letters[0]["detail"] as? String ?? ""
        #expect(detail.contains(Self.id), "\(detail)")
        #expect(detail.contains("topic tally.samples partition 0 offset 1"), "\(detail)")
        #expect((letters[0]["source"] as? [String: Any])?["offset"] as? Int == 2)
        #expect(h.frames().map { $0["quantity"] as? String } == ["4"])
        let c = h.rater.counters
        #expect(c.samplesFolded == 2 && c.samplesDuplicate == 1 && c.samplesDeadLettered == 1)
        #expect(c.deadLettersByReason["conflicting-duplicate"] == 1)
    }

    @Test func everyPartOfTheContentCounts() throws {
        let first = H.sample(id: Self.id, volume: "3", at: "2026-11-02T00:10:00Z")
        let variants = [
            H.sample(id: Self.id, volume: "3", at: "2026-11-02T00:10:01Z"),
            H.sample(id: Self.id, volume: "3", at: "2026-11-02T00:10:00Z", project: "p2"),
            H.sample(id: Self.id, volume: "3", at: "2026-11-02T00:10:00Z", resource: "r2"),
            H.sample(id: Self.id, metric: "instance", volume: "3", at: "2026-11-02T00:10:00Z"),
            first.replacingOccurrences(of: "\"u1\"", with: "\"u2\""),
            first.replacingOccurrences(of: "gauge", with: "delta"),
        ]
        for variant in variants {
            let h = try EngineHarness()
            try h.feed([first, variant], endOfInput: true)
            #expect(Self.conflicts(h).count == 1, "\(variant)")
        }
        // 3 and 3.0 are the same volume: a re-delivery.
        let h = try EngineHarness()
        try h.feed([first, first.replacingOccurrences(of: "\"volume\":3", with: "\"volume\":3.0")], endOfInput: true)
        #expect(Self.conflicts(h).isEmpty && h.rater.counters.samplesDuplicate == 1)
    }

    @Test func theFirstCopyIsRememberedAcrossARestart() throws {
        let h = try EngineHarness()
        try h.feed([H.sample(id: Self.id, volume: "3", at: "2026-11-02T00:10:00Z")], partition: 2)
        _ = try h.restart()
        try h.feed([H.sample(id: Self.id, volume: "5", at: "2026-11-02T00:10:00Z")], partition: 1, endOfInput: true)
        let letters = Self.conflicts(h)
        try #require(letters.count == 1)
        #expect((letters[0]["detail"] as? String ?? "").contains("topic tally.samples partition 2 offset 0"), "\(letters)")
        #expect(h.frames().map { $0["quantity"] as? String } == ["3"])
    }

    @Test func aReplayTakesTheRatersDecisionOnWhichCopyStands() throws {
        let key = try #require(SampleDigest.key(uuidText: Self.id[...]))
        #expect(SampleDigest.uuidText(key) == Self.id)
        let h = try EngineHarness()
        // The live rater read partition 1's copy first and refused partition 0's.
        h.rater.honour(refusedCopies: [RefusedCopy(topic: "tally.samples", partition: 0, offset: 0, sample: key)])
        try h.feedInterleaved([(0, H.sample(id: Self.id, volume: "2", at: "2026-11-02T00:10:00Z")),
                               (1, H.sample(id: Self.id, volume: "64", at: "2026-11-02T00:10:00Z"))], endOfInput: true)
        #expect(h.frames().map { $0["quantity"] as? String } == ["64"])
        #expect(Self.conflicts(h).count == 1 && (Self.conflicts(h).first?["source"] as? [String: Any])?["partition"] as? Int == 0)
    }
}
