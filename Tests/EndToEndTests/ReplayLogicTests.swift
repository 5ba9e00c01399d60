@testable import TallyAudit
import TallyRuntime
import Testing
import TallyCore
import TallyEngine

/// The broker-free parts of replay: the frames topic's chain check (resends tolerated,
/// altered copies and broken links caught) and how correction commands are built.
@Suite struct ReplayLogicTests {
    static func frame(_ resource: String, price: String, revision: Int = 1, previousPrice: String = "0",
                      partition: Int32 = 0) -> Frame {
        let start = EventTime(micros: 1_764_000_000_000_000)
        return Frame(frameId: Frame.id(metric: "instance", scopeKind: "project_id", scope: "p1", resource: resource,
                                       groupby: [], windowStart: start),
                     revision: revision, metric: "instance", service: "instance", scopeKind: "project_id", scope: "p1",
                     projectId: "p1", userId: nil, resourceId: resource, groupby: [:], metadata: [:],
                     windowStart: start, windowEnd: start + TimeSpan.hours(1), quantity: ExactDecimal(1),
                     unit: "instance", price: ExactDecimal(price)!, previousPrice: ExactDecimal(previousPrice)!,
                     currency: "EUR", status: .rated, rating: .object([:]), ruleBookVersion: 3, ruleBookHash: "h",
                     lineage: [], sampleCount: 1, sampleDigest: "00", engineVersion: "tally/test", outputPartition: partition)
    }

    /// Seals `frames` in order on partition 0, as the rater would, and returns their record values.
    static func chained(_ frames: [Frame]) -> [[UInt8]] {
        var head = ""
        return frames.map { f in
            var f = f
            let bytes = f.seal(previousHash: head)
            head = f.contentHash
            return bytes
        }
    }

    static func topic(_ values: [[UInt8]]) -> EmittedFrames {
        EmittedFrames(records: values.enumerated().map { TopicIO.Record(partition: 0, offset: Int64($0.offset), key: nil, value: $0.element) })
    }

    @Test func aByteIdenticalResendKeepsTheChainButAnAlteredCopyOrABrokenLinkDoesNot() throws {
        let values = Self.chained([Self.frame("a", price: "1"), Self.frame("b", price: "2"), Self.frame("c", price: "3")])
        // After a crash the outbox is resent exactly: a, b again, then c.
        #expect(Self.topic([values[0], values[1], values[0], values[1], values[2]]).chainBreaks().isEmpty)
        // c without b: its previous_hash names b, the frame before it is a.
        let gap = Self.topic([values[0], values[2]]).chainBreaks()
        #expect(gap.count == 1 && gap.first?.offset == 1)
        // A different copy of b's revision 1, sealed properly after a.
        var forged = Self.frame("b", price: "20")
        var a = Self.frame("a", price: "1"); _ = a.seal(previousHash: "")
        let forgedBytes = forged.seal(previousHash: a.contentHash)
        let breaks = Self.topic([values[0], values[1], forgedBytes]).chainBreaks()
        #expect(breaks.contains { $0.offset == 2 && $0.detail.contains("different copy") })
    }

    @Test func applyBuildsACommandWithTheReplayedContentAndTheComparedRevision() throws {
        let emitted = Self.chained([Self.frame("a", price: "1"), Self.frame("b", price: "2", revision: 2, previousPrice: "1.5")])
        // The replay's frames as the engine hands them over: values, sealed in order.
        var head = ""
        let replayedFrames = [Self.frame("a", price: "2"), Self.frame("b", price: "2.5")].map { f -> Frame in
            var f = f
            _ = f.seal(previousHash: head)
            head = f.contentHash
            return f
        }
        // What parsing their bytes gives: the command must carry exactly this content.
        let replayed = Dictionary(uniqueKeysWithValues: Self.chained(replayedFrames).map {
            let f = try! FrameRecord(bytes: $0)
            return (f.frameId, f)
        })
        let request = ReplayRequest(from: EventTime(micros: 0), to: EventTime(micros: Int64.max))
        let stored = emitted.enumerated().map { TopicIO.Record(partition: 0, offset: Int64($0.offset), key: nil, value: $0.element) }
        var builder = ReplayDiff.Builder(request: request, emitted: EmittedFrames.latestSummaries(records: stored, request: request),
                                         currency: "EUR")
        for f in replayedFrames { builder.add(f) }
        let diff = builder.build()
        #expect(diff.scopes.map(\.difference.canonicalText) == ["1.5"])
        let id = request.replayId(rulesIdentity: "file@x", author: "ana", reason: "fix")
        #expect(id == request.replayId(rulesIdentity: "file@x", author: "ana", reason: "fix"))
        #expect(id != request.replayId(rulesIdentity: "file@x", author: "bob", reason: "fix"))

        // Apply asks the rater for the corrections: the replayed content and the revision
        // the replay compared against; history members are the rater's to set.
        let commands = ReplayCorrections.commands(diff: diff, request: request, replayId: id, author: "ana", reason: "fix",
                                                  rulesIdentity: "file@x", ruleset: "groups: []")
        #expect(commands.count == 1 && commands[0].parts == 1)
        let items = Dictionary(uniqueKeysWithValues: commands[0].items.map { ($0.frameId, $0) })
        #expect(items.values.map(\.baseRevision).sorted() == [1, 2])
        for item in items.values {
            #expect(item.body["revision"] == nil && item.body["previous_price"] == nil && item.body["content_hash"] == nil)
            #expect(item.body["price"] == replayed[item.frameId]!.members["price"])
        }
        guard case .command(let parsed) = try CorrectionsRecord(bytes: commands[0].bytes, offset: 0) else {
            Issue.record("the command does not read back"); return
        }
        #expect(parsed == commands[0])
    }

    /// A scope's old and new totals and their difference are exact: 100 windows of a 28-digit
    /// price and 100 of a tiny one, whose `ExactDecimal` running sum rounds the tiny ones away.
    @Test func scopeTotalsAreExact() throws {
        let large = "1.000000000000000000000000001", tiny = "0.0000000000000000000000000004"
        let resources = (0..<200).map { "vm-\($0)" }
        let emitted = Self.chained(resources.map { Self.frame($0, price: "0") })
        var head = ""
        let replayedFrames = resources.enumerated().map { i, resource -> Frame in
            var f = Self.frame(resource, price: i < 100 ? large : tiny)
            _ = f.seal(previousHash: head)
            head = f.contentHash
            return f
        }
        let request = ReplayRequest(from: EventTime(micros: 0), to: EventTime(micros: Int64.max))
        let stored = emitted.enumerated().map { TopicIO.Record(partition: 0, offset: Int64($0.offset), key: nil, value: $0.element) }
        var builder = ReplayDiff.Builder(request: request, emitted: EmittedFrames.latestSummaries(records: stored, request: request),
                                         currency: "EUR")
        for f in replayedFrames { builder.add(f) }
        let scopes = builder.build().scopes
        let exact = "100.00000000000000000000000014"
        #expect(scopes.map(\.newTotal.canonicalText) == [exact])
        #expect(scopes.map(\.difference.canonicalText) == [exact])
        #expect(scopes.map(\.oldTotal.canonicalText) == ["0"])
    }

    @Test func everyRevisionMustFollowTheOneBeforeIt() throws {
        let good = Self.topic(Self.chained([Self.frame("a", price: "1"), Self.frame("a", price: "3", revision: 2, previousPrice: "1")]))
        let request = ReplayRequest(from: EventTime(micros: 0), to: EventTime(micros: Int64.max))
        #expect(RevisionAudit.sequenceProblems(RevisionAudit.sequences(good), request: request).isEmpty)
        // A skipped revision number, and a previous price that is not the price before it.
        let bad = Self.topic(Self.chained([Self.frame("a", price: "1"), Self.frame("a", price: "3", revision: 3, previousPrice: "1"),
                                           Self.frame("b", price: "1"), Self.frame("b", price: "0", revision: 2, previousPrice: "5")]))
        let problems = RevisionAudit.sequenceProblems(RevisionAudit.sequences(bad), request: request)
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.allSatisfy { $0.kind == .revisions })
        #expect(problems.contains { $0.revision == 3 && $0.detail.contains("revision 2 was due") })
        #expect(problems.contains { $0.revision == 2 && $0.detail.contains("previous_price 5") })
    }

    /// `tally verify` lists revision problems frame by frame in frame-id order, whatever order
    /// its table of sequences holds them in (it listed them in a dictionary's order).
    @Test func revisionProblemsAreListedInFrameIdOrder() throws {
        let resources = (0..<40).map { "vm-\($0)" }  // one frame id each (a hash of the window's identity)
        let bad = Self.topic(Self.chained(resources.flatMap { resource in
            [Self.frame(resource, price: "1"), Self.frame(resource, price: "3", revision: 3, previousPrice: "1")]
        }))
        let request = ReplayRequest(from: EventTime(micros: 0), to: EventTime(micros: Int64.max))
        let problems = RevisionAudit.sequenceProblems(RevisionAudit.sequences(bad), request: request)
        #expect(problems.count == 40)
        #expect(Set(problems.map(\.frameId)).count == 40)
        #expect(problems.map(\.frameId) == problems.map(\.frameId).sorted(), "\(problems.map(\.frameId))")
    }
}
