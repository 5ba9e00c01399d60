import Testing
import TallyCore
@testable import TallyEngine

/// The closing clock across partitions, without a rater: the minimum of the partition
/// clocks, held back by an assigned partition that has said nothing, moved by idle
/// partitions read to their end, never moving back.
@Suite struct PartitionGroupTests {
    let p0 = StreamRater.PartitionID(topic: 0, partition: 0)
    let p1 = StreamRater.PartitionID(topic: 0, partition: 1)
    static func t(_ minutes: Int64) -> EventTime { EventTime(micros: 1_700_000_000_000_000 + minutes * 60_000_000) }
    let idle = TimeSpan(micros: 60_000_000)

    @Test func anAssignedPartitionThatHasDeliveredNothingHoldsTheClockBack() {
        var group = PartitionGroup()
        group.assign(p0); group.assign(p1)
        group.observe(p0, eventTime: Self.t(30), wallNow: Self.t(31))
        group.advance(wallNow: Self.t(31), idleTimeout: idle, endOfInput: false, latestDue: nil)
        #expect(group.closingClock == nil)
        group.reachedEnd(p1)  // read to its end: it holds nothing back
        group.advance(wallNow: Self.t(31), idleTimeout: idle, endOfInput: false, latestDue: nil)
        #expect(group.closingClock == Self.t(30))
    }

    @Test func theClockIsTheMinimumAndNeverMovesBack() {
        var group = PartitionGroup()
        group.observe(p0, eventTime: Self.t(30), wallNow: Self.t(31))
        group.observe(p1, eventTime: Self.t(10), wallNow: Self.t(31))
        group.advance(wallNow: Self.t(31), idleTimeout: idle, endOfInput: false, latestDue: nil)
        #expect(group.closingClock == Self.t(10))
        group.restore(p1, clock: PartitionClock(clock: Self.t(5)))
        group.advance(wallNow: Self.t(31), idleTimeout: idle, endOfInput: false, latestDue: nil)
        #expect(group.closingClock == Self.t(10))
    }

    @Test func onlyAPartitionAtItsEndAdvancesWhenIdle() {
        var group = PartitionGroup()
        group.observe(p0, eventTime: Self.t(30), wallNow: Self.t(30))
        group.advance(wallNow: Self.t(40), idleTimeout: idle, endOfInput: false, latestDue: nil)
        #expect(group.closingClock == Self.t(30))  // lagging, not idle
        group.reachedEnd(p0)
        group.advance(wallNow: Self.t(40), idleTimeout: idle, endOfInput: false, latestDue: nil)
        #expect(group.closingClock == Self.t(40))
    }

    @Test func theEndOfABoundedInputMovesTheClockToTheLatestDueWindow() {
        var group = PartitionGroup()
        group.observe(p0, eventTime: Self.t(30), wallNow: Self.t(30))
        group.advance(wallNow: Self.t(30), idleTimeout: idle, endOfInput: true, latestDue: Self.t(95))
        #expect(group.closingClock == Self.t(95))
    }

    @Test func latenessCountsGraceAndRetentionFromTheClosingClock() {
        var group = PartitionGroup()
        let grace = TimeSpan(micros: 5 * 60_000_000), retention = TimeSpan(micros: 60 * 60_000_000)
        #expect(group.lateness(windowEnd: Self.t(0), grace: grace, retention: retention) == .onTime)  // no clock yet
        group.restoreClosingClock(Self.t(120))
        #expect(group.lateness(windowEnd: Self.t(116), grace: grace, retention: retention) == .onTime)
        #expect(group.lateness(windowEnd: Self.t(115), grace: grace, retention: retention) == .late)
        #expect(group.lateness(windowEnd: Self.t(55), grace: grace, retention: retention) == .late)
        #expect(group.lateness(windowEnd: Self.t(54), grace: grace, retention: retention) == .tooLate)
    }
}
