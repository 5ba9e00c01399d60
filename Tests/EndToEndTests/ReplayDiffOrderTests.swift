@testable import TallyAudit
import Testing
import TallyCore

/// The diff lists its frames by (scope, metric, window start, resource, frame id) as
/// Strings order them; it sorts by ranks of the first four. Random changes with few
/// distinct texts per field (ties down to the frame id, non-ASCII and canonically equal
/// texts included) must come out exactly as the tuple comparison orders them.
@Suite struct ReplayDiffOrderTests {
    @Test func framesComeInTheOrderOfTheirTexts() {
        let texts = ["p1", "p10", "p2", "", "é", "e\u{301}", "Z", "a b", "☃"]
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        var changes: [String: ReplayDiff.FrameChange] = [:]
        for i in 0..<3_000 {
            let id = "f-\(next(500))-\(i)"
            changes[id] = ReplayDiff.FrameChange(frameId: id, scope: texts[next(texts.count)], metric: texts[next(3)],
                                                 resource: texts[next(texts.count)], windowStart: texts[next(4)],
                                                 old: nil, new: nil, replayedBox: nil)
        }
        let diff = ReplayDiff(changes: changes, currency: "EUR")
        let expected = changes.values.sorted { a, b in
            (a.scope, a.metric, a.windowStart, a.resource, a.frameId) < (b.scope, b.metric, b.windowStart, b.resource, b.frameId)
        }
        #expect(diff.frames.count == changes.count)
        // Canonically equal texts ("é" and "e" + combining acute) tie: compare the sort keys, not the bytes.
        for (got, want) in zip(diff.frames, expected) {
            #expect((got.scope, got.metric, got.windowStart, got.resource, got.frameId)
                    == (want.scope, want.metric, want.windowStart, want.resource, want.frameId))
        }
    }
}
