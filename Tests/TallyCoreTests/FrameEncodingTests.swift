import Testing
@testable import TallyCore

/// The frame's direct encoder must write exactly the canonical encoding of its
/// member tree: same keys, canonical order, same bytes, hash over the body.
@Suite struct FrameEncodingTests {
    static func frame(failed: Bool) -> Frame {
        Frame(frameId: Frame.id(metric: "cpu", scopeKind: "project_id", scope: "p\"1", resource: "r1",
                                groupby: [("flavor", "m1")], windowStart: EventTime(micros: 1_700_000_000_000_000)),
              revision: 2, metric: "cpu", service: "compute", scopeKind: "project_id", scope: "p\"1",
              projectId: "p\"1", userId: nil, resourceId: "r1", groupby: ["flavor": .string("m1.small")],
              metadata: ["vcpus": .string("2"), "ok": .bool(true), "z": .null],
              windowStart: EventTime(micros: 1_700_000_000_000_000), windowEnd: EventTime(micros: 1_700_003_600_000_000),
              quantity: ExactDecimal("1.50")!, unit: "h", price: ExactDecimal("0.75")!, previousPrice: ExactDecimal("0.5")!,
              currency: "EUR", status: failed ? .ratingFailed("script: boom\n") : .rated,
              rating: .array([.object(["module": .string("hashmap"), "n": .integer(-3)])]),
              ruleBookVersion: failed ? nil : 42, ruleBookHash: failed ? nil : "abc",
              lineage: [.init(topic: "metering.sample", partition: 1, firstOffset: 5, lastOffset: 9, samples: 3)],
              sampleCount: 3, sampleDigest: "00ff", engineVersion: "tally/test", outputPartition: 2)
    }

    @Test(arguments: [(false, false), (true, false), (false, true)])
    func directEncodingEqualsTheCanonicalTree(failed: Bool, corrected: Bool) throws {
        var frame = FrameEncodingTests.frame(failed: failed)
        if corrected { frame.correction = .init(replayId: "0123", author: "ana", reason: "price \"fix\"") }
        var splice = 0
        let direct = frame.canonicalBody(splicePoint: &splice)
        #expect(direct == frame.body.bytes)
        let sealed = frame.seal(previousHash: "prev")
        guard case var .object(members) = frame.body else { Issue.record("body is not an object"); return }
        members["content_hash"] = .string(SHA256.hex(direct))
        members["previous_hash"] = .string("prev")
        #expect(sealed == CanonicalJSON.object(members).bytes)
        #expect(frame.contentHash == SHA256.hex(direct))
    }

    /// Frames the engine builds carry the explanation itself, written straight to bytes:
    /// the sealed record must equal the tree with the explanation's tree in `rating`.
    @Test(arguments: 0..<ExplanationEncodingTests.explanations.count)
    func anExplainedFrameEncodesLikeItsTree(_ i: Int) {
        let explanation = ExplanationEncodingTests.explanations[i]
        let f = FrameEncodingTests.frame(failed: false)
        var frame = Frame(frameId: f.frameId, revision: f.revision, metric: f.metric, service: f.service,
                          scopeKind: f.scopeKind, scope: f.scope, projectId: f.projectId, userId: f.userId,
                          resourceId: f.resourceId, groupby: f.groupby, metadata: f.metadata, windowStart: f.windowStart,
                          windowEnd: f.windowEnd, quantity: f.quantity, unit: f.unit, price: f.price,
                          previousPrice: f.previousPrice, currency: f.currency, status: f.status, explanation: explanation,
                          ruleBookVersion: f.ruleBookVersion, ruleBookHash: f.ruleBookHash, lineage: f.lineage,
                          sampleCount: f.sampleCount, sampleDigest: f.sampleDigest, engineVersion: f.engineVersion,
                          outputPartition: f.outputPartition)
        var tree = f
        tree.rating = .json(explanation.json)
        var splice = 0
        #expect(frame.canonicalBody(splicePoint: &splice) == tree.body.bytes)
        #expect(frame.seal(previousHash: "p") == tree.seal(previousHash: "p"))
        #expect(frame.contentHash == tree.contentHash)
    }

    @Test func aCorrectionChangesTheHashOnlyWhenPresent() {
        var plain = FrameEncodingTests.frame(failed: false)
        var corrected = plain
        corrected.correction = .init(replayId: "ab", author: "a", reason: "r")
        _ = plain.seal(previousHash: "")
        let sealed = corrected.seal(previousHash: "")
        #expect(plain.contentHash != corrected.contentHash)
        #expect(String(decoding: sealed, as: UTF8.self).contains(#","correction":{"author":"a","reason":"r","replay_id":"ab"},"currency""#))
    }
}
