import Testing
@testable import TallyRater

/// `--until-drained`'s bookkeeping: the run is drained once every tracked partition was
/// read to its end and has not delivered since; untracked partitions do not count.
@Suite struct InputEndsTests {
    @Test func drainedOnlyWhenEveryTrackedPartitionIsAtItsEnd() {
        var ends = InputEnds()
        #expect(!ends.all)  // nothing tracked: nothing to drain yet
        ends.track("in", 0)
        ends.track("in", 2)
        ends.track("tally.corrections", 0)
        ends.mark("in", 0, atEnd: true)
        ends.mark("in", 2, atEnd: true)
        #expect(!ends.all)
        ends.mark("tally.corrections", 0, atEnd: true)
        #expect(ends.all)
        ends.mark("in", 2, atEnd: true)  // twice: still one partition
        #expect(ends.all)
        ends.mark("in", 2, atEnd: false)  // a record arrived after the end
        #expect(!ends.all)
        ends.mark("in", 2, atEnd: true)
        #expect(ends.all)
    }

    @Test func untrackedTopicsAndPartitionsAreIgnored() {
        var ends = InputEnds()
        ends.track("in", 1)
        ends.mark("in", 0, atEnd: false)  // partition 0 of "in" was never tracked
        ends.mark("in", 7, atEnd: false)
        ends.mark("tally.rules", 0, atEnd: false)
        ends.mark("in", 1, atEnd: true)
        #expect(ends.all)
    }
}
