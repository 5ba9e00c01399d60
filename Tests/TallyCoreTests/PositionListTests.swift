import Testing
@testable import TallyCore
import TallySeededRandom

/// `PositionList` (two positions inline, the rest in an array) against the `[Int32]` it
/// replaced, and `RuleItemHistory`'s inline latest revision against the two lists.
struct PositionListTests {
    @Test func randomAppendsAndRemovesMatchAnArray() {
        var random = SplitMix64(seed: 0x51_7a11)
        for _ in 0..<400 {
            var list = PositionList()
            var reference: [Int32] = []
            for _ in 0..<random.next(12) {
                if random.next(4) == 0, !reference.isEmpty {
                    let victim = reference[random.next(reference.count)]
                    list.remove(victim)
                    reference.removeAll { $0 == victim }
                } else {
                    let position = Int32(random.next(6))
                    list.append(position)
                    reference.append(position)
                }
                #expect(Array(list) == reference)
                #expect(list.count == reference.count)
                #expect(list.last == reference.last)
            }
            // The same contents, built without removals, are equal and hash alike.
            var rebuilt = PositionList()
            for position in reference { rebuilt.append(position) }
            #expect(rebuilt == list)
            #expect(rebuilt.hashValue == list.hashValue)
        }
    }

    @Test func removingTheFirstMovesTheNextInline() {
        var list: PositionList = [3, 5, 3, 7]
        list.remove(3)
        #expect(Array(list) == [5, 7])
        #expect(list == [5, 7])
        list.remove(5)
        list.remove(7)
        #expect(list.isEmpty)
        #expect(list == PositionList())
        list.remove(9)
        #expect(list.isEmpty)
    }

    @Test func historyKeepsEveryRevisionWithItsEvent() {
        func revision(_ offset: Int64) -> RuleItemRevision {
            RuleItemRevision(offset: offset, item: .group("g\(offset)"),
                             validity: RuleValidity(start: EventTime(micros: offset), end: nil), deleted: offset == 9)
        }
        func audit(_ offset: Int64) -> RuleAuditEntry {
            RuleAuditEntry(offset: offset, eventID: "e\(offset)", author: "a", reason: "r", recordedAt: EventTime(micros: offset),
                           start: EventTime(micros: offset), end: nil, force: false, operation: "create", hash: "h\(offset)")
        }
        var history = RuleItemHistory(first: revision(2), audit: audit(2))
        for offset: Int64 in [4, 7, 9] { history.revise(revision(offset), audit: audit(offset)) }
        #expect(history.revisions.map(\.offset) == [2, 4, 7, 9])
        #expect(history.audit.map(\.eventID) == ["e2", "e4", "e7", "e9"])
        #expect(history.revisionCount == 4)
        #expect(history.current == revision(9))
        #expect(history.revision(asOf: nil) == revision(9))
        #expect(history.revision(asOf: 8)?.offset == 7)
        #expect(history.revision(asOf: 4)?.offset == 4)
        #expect(history.revision(asOf: 1) == nil)
        // Rebuilt from its lists (as a snapshot does), it is the same history.
        let rebuilt = RuleItemHistory(revisions: history.revisions, audit: history.audit)
        #expect(rebuilt == history)
        // Lists that do not pair up are refused.
        #expect(RuleItemHistory(revisions: history.revisions, audit: Array(history.audit.dropLast())) == nil)
        #expect(RuleItemHistory(revisions: [], audit: []) == nil)
    }
}
