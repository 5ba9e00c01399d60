import Foundation
import Testing
import TallyCore
import TallyRuntime

/// `tally run --group` as processes against the real broker (docs/SCALE.md): raters in one
/// consumer group split a keyed input's partitions, each partition a task whose frames,
/// changelog and consumed offset commit in one Kafka transaction. At the end every
/// window's latest frame equals an independent computation, no frame is doubled except
/// byte-identical copies, each frame sits on its input partition's frames partition, and
/// `tally verify` passes.
@Suite(.serialized) struct GroupRaterEndToEndTests {
    /// The end assertions every scenario shares.
    private func checkEnd(_ setup: GroupRaterSetup, _ context: @autoclosure () -> String) throws {
        let (ledger, problems) = try setup.waitForExactFrames(seconds: 240)
        #expect(problems.count == 0, "\(problems.count) problems: \(problems.prefix(10)); \(context())")
        #expect(ledger.conflicts.count == 0, "frames resent with different bytes: \(ledger.conflicts.prefix(5))")
        // No window was emitted twice as two revisions: every window's only revision is 1.
        let revised = ledger.latest.values.filter { $0.revision != 1 }.map { "\($0.metric) \($0.resource) \($0.windowStart) r\($0.revision)" }
        #expect(revised.count == 0, "windows with a second revision: \(revised.prefix(5))")
        let misplaced = try setup.framesOffTheirPartition()
        #expect(misplaced.count == 0, "\(misplaced.prefix(5))")
        let verify = try setup.verify()
        #expect(verify.status == 0, "verify: \(verify.output.split(separator: "\n").filter { !$0.hasPrefix("  ok") }.prefix(12))")
        print("group rater: \(ledger.framesRead) frames read, \(ledger.duplicates) byte-identical copies, \(ledger.latest.count) windows")
    }

    @Test func twoRatersSplitThePartitionsAndRateEveryWindowOnce() throws {
        let setup = try GroupRaterSetup(group: "split")
        let a = try setup.startRater("a")
        defer { _ = GroupRaterSetup.stop(a) }
        #expect(setup.waitForOwnership([("a", 3)], seconds: 60), "\(GroupRaterSetup.text(setup.log("a")))")
        let b = try setup.startRater("b")
        defer { _ = GroupRaterSetup.stop(b) }
        // Eager range assignment of 3 partitions over 2 members: 2 and 1.
        let settled = setup.waitForOwnership([("a", 2), ("b", 1)], seconds: 120)
        #expect(settled, "logs:\n\(GroupRaterSetup.text(setup.log("a")))\n---\n\(GroupRaterSetup.text(setup.log("b")))")
        try setup.produce(0..<setup.records.count)
        try setup.produceClosers()
        try checkEnd(setup, "logs:\n\(GroupRaterSetup.text(setup.log("a")))\n---\n\(GroupRaterSetup.text(setup.log("b")))")
        let statusA = GroupRaterSetup.stop(a), statusB = GroupRaterSetup.stop(b)
        let outA = GroupRaterSetup.text(setup.log("a")), outB = GroupRaterSetup.text(setup.log("b"))
        #expect(statusA == 0 && statusB == 0, "logs:\n\(outA)\n---\n\(outB)")
        let framesA = TallyProcess.counters(in: outA)["frames_emitted"] ?? 0
        let framesB = TallyProcess.counters(in: outB)["frames_emitted"] ?? 0
        #expect(framesA > 0 && framesB > 0, "both raters emitted frames: \(framesA) and \(framesB)")
    }
}
