import Testing
import TallyCore
import TallyWire
@testable import TallyService

/// The snapshot's book built ahead for the epoch around its instant: used inside that epoch,
/// never outside it (a quote after the next price change must get the next book).
@Suite struct RuleLogSnapshotTests {
    static let hour: Int64 = 3_600_000_000

    /// Mapping `a` costs 1 until hour 10, mapping `b` costs 2 from hour 10 on.
    static func state() throws -> RuleLogState {
        var state = RuleLogState()
        let t10 = EventTime(micros: 10 * hour)
        let changes = [
            PlannedRuleChange(change: .create(.service(ServiceDeclaration(name: "instance"))), start: EventTime(micros: 0)),
            PlannedRuleChange(change: .create(.mapping(HashMapping(id: "a", service: "instance", type: .flat, cost: ExactDecimal("1")!))),
                              start: EventTime(micros: 0), end: t10),
            PlannedRuleChange(change: .create(.mapping(HashMapping(id: "b", service: "instance", type: .flat, cost: ExactDecimal("2")!))),
                              start: t10),
        ]
        let publication = try RuleLogPublication(changes: changes, author: "test", reason: "two prices", now: EventTime(micros: 0), state: state)
        for (offset, event) in publication.events.enumerated() {
            let outcome = state.apply(event, offset: Int64(offset))
            guard case .accepted = outcome else { throw RuleEventRejection(.staleHead, "not accepted: \(outcome)") }
        }
        return state
    }

    @Test func theBookBuiltAheadServesItsEpochOnly() throws {
        let state = try Self.state()
        let snapshot = RuleLogSnapshot(state: state, records: [], nextOffset: 1, topicExists: true, at: EventTime(micros: 5 * Self.hour))
        let epoch = try #require(snapshot.currentBook)
        #expect(epoch.contains(EventTime(micros: 5 * Self.hour)) && !epoch.contains(EventTime(micros: 10 * Self.hour)))
        let before = try snapshot.ruleBook(at: EventTime(micros: 9 * Self.hour))
        let after = try snapshot.ruleBook(at: EventTime(micros: 11 * Self.hour))
        #expect(before == (try state.ruleBook(at: EventTime(micros: 9 * Self.hour))))
        #expect(after == (try state.ruleBook(at: EventTime(micros: 11 * Self.hour))))
        #expect(before != after, "the price changes at hour 10")
    }

    @Test func recordsFromAnOffsetAreTheTail() {
        let records = (0..<5).map { RuleLogSnapshot.Record(offset: Int64($0) * 2, bytes: [], outcome: .alreadyFolded) }
        let snapshot = RuleLogSnapshot(state: RuleLogState(), records: records, nextOffset: 9, topicExists: true, at: nil)
        #expect(snapshot.records(from: 5).map(\.offset) == [6, 8])
        #expect(snapshot.records(from: 0).count == 5)
        #expect(snapshot.records(from: 9).isEmpty)
    }
}
