import Testing
@testable import TallyCore

@Suite struct WatermarkTests {
    let grace = TimeSpan.minutes(10)
    let retention = TimeSpan.days(1)
    let windowEnd = minute(60)

    @Test func noSampleMeansNothingIsClosed() {
        let clock = PartitionClock()
        #expect(clock.watermark(grace: grace) == nil)
        #expect(!clock.isClosed(windowEnd: windowEnd, grace: grace))
        #expect(clock.lateness(windowEnd: windowEnd, grace: grace, retention: retention) == .onTime)
    }

    @Test func windowClosesWhenClockMinusGraceReachesItsEnd() {
        var clock = PartitionClock()
        clock.observe(eventTime: minute(69), wallTime: minute(70))
        #expect(!clock.isClosed(windowEnd: windowEnd, grace: grace))
        clock.observe(eventTime: minute(70), wallTime: minute(71))
        #expect(clock.isClosed(windowEnd: windowEnd, grace: grace))
        // A metric with no grace closed earlier; one with more grace is still open.
        #expect(clock.isClosed(windowEnd: windowEnd, grace: .zero))
        #expect(!clock.isClosed(windowEnd: windowEnd, grace: .minutes(11)))
    }

    @Test func clockNeverGoesBackwards() {
        var clock = PartitionClock()
        clock.observe(eventTime: minute(100), wallTime: minute(100))
        clock.observe(eventTime: minute(50), wallTime: minute(101))
        #expect(clock.clock == minute(100))
        #expect(clock.maxEventTime == minute(100))
    }

    @Test func lateWithinRetentionTooLateAfter() {
        var clock = PartitionClock()
        clock.observe(eventTime: minute(70) + .days(1), wallTime: minute(0))
        // watermark − end = exactly the retention: still late, reopen.
        #expect(clock.lateness(windowEnd: windowEnd, grace: grace, retention: retention) == .late)
        #expect(!clock.isTooLate(windowEnd: windowEnd, grace: grace, retention: retention))
        clock.observe(eventTime: minute(71) + .days(1), wallTime: minute(1))
        #expect(clock.lateness(windowEnd: windowEnd, grace: grace, retention: retention) == .tooLate)
        #expect(clock.isTooLate(windowEnd: windowEnd, grace: grace, retention: retention))
        // A later window is on time.
        #expect(clock.lateness(windowEnd: minute(71) + .days(1), grace: grace, retention: retention) == .onTime)
    }

    @Test func idlePartitionFollowsTheWallClock() {
        var clock = PartitionClock()
        let timeout = TimeSpan.minutes(5)
        clock.observe(eventTime: minute(55), wallTime: minute(56))
        // Not idle long enough: nothing moves.
        let movedEarly = clock.advanceIfIdle(wallNow: minute(60), idleTimeout: timeout)
        #expect(!movedEarly)
        #expect(clock.clock == minute(55))
        // Idle 14 minutes: the clock moves 14 minutes on from the last event time.
        let moved = clock.advanceIfIdle(wallNow: minute(70), idleTimeout: timeout)
        #expect(moved)
        #expect(clock.clock == minute(69))
        #expect(!clock.isClosed(windowEnd: windowEnd, grace: grace))
        clock.advanceIfIdle(wallNow: minute(71), idleTimeout: timeout)
        #expect(clock.isClosed(windowEnd: windowEnd, grace: grace))
        // The raw maximum is kept apart from the advanced clock.
        #expect(clock.maxEventTime == minute(55))
    }

    @Test func idleAdvanceNeverPassesTheWallClock() {
        var clock = PartitionClock()
        // Event times slightly ahead of the wall clock (allowed skew).
        clock.observe(eventTime: minute(62), wallTime: minute(60))
        clock.advanceIfIdle(wallNow: minute(80), idleTimeout: .minutes(5))
        #expect(clock.clock == minute(80))
    }

    @Test func activityWithoutSamplesKeepsThePartitionBusy() {
        var clock = PartitionClock()
        clock.observe(eventTime: minute(55), wallTime: minute(56))
        clock.noteActivity(wallTime: minute(65))
        let moved = clock.advanceIfIdle(wallNow: minute(69), idleTimeout: .minutes(5))
        #expect(!moved)
    }

    @Test func futureTimestamps() {
        let now = minute(1000)
        #expect(!PartitionClock.isFutureTimestamp(minute(1010), wallNow: now, maxSkew: .minutes(10)))
        #expect(PartitionClock.isFutureTimestamp(minute(1010) + .seconds(1), wallNow: now, maxSkew: .minutes(10)))
        #expect(!PartitionClock.isFutureTimestamp(minute(10), wallNow: now, maxSkew: .zero))
    }
}
