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
    @Test func twoRatersSplitThePartitionsAndRateEveryWindowOnce() async throws {
        let setup = try GroupRaterSetup(group: "split")
        let a = try setup.startRater("a")
        defer { _ = GroupRaterSetup.stop(a) }
        #expect(setup.waitForOwnership([("a", 3)], seconds: 60), "\(GroupRaterSetup.text(setup.log("a")))")
        let b = try setup.startRater("b")
        defer { _ = GroupRaterSetup.stop(b) }
        // Eager range assignment of 3 partitions over 2 members: 2 and 1.
        #expect(setup.waitForSplit(["a", "b"]), "\(setup.logs(["a", "b"]))")
        try setup.produce(0..<setup.records.count)
        try setup.produceClosers()
        try setup.checkEnd("logs:\n\(GroupRaterSetup.text(setup.log("a")))\n---\n\(GroupRaterSetup.text(setup.log("b")))")
        // `/metrics` of each rater: the partitions it owns (as its log says), rebalances served.
        var owned: [Double] = []
        for (name, process) in [("a", a), ("b", b)] {
            let url = try RaterMetricsEndToEndTests.waitForLine("tally run: metrics on ", log: setup.log(name), process: process)
            let expected = Double(GroupRaterSetup.lastOwned(setup.log(name)) ?? -1)
            var metrics = ""
            _ = try await Polling.until(timeout: 30) { () -> Bool? in
                metrics = try await HTTP.get(url + "/metrics").body
                return ServeCloudKittyEndToEndTests.sample("tally_group_assigned_partitions", metrics) == expected ? true : nil
            }
            let count = ServeCloudKittyEndToEndTests.sample("tally_group_assigned_partitions", metrics) ?? -1
            #expect(count == expected, "\(name): \(metrics)")
            let labelled = metrics.split(separator: "\n").filter { $0.hasPrefix("tally_group_partition_assigned{") && $0.hasSuffix(" 1") }
            #expect(Double(labelled.count) == count, "\(metrics)")
            #expect((ServeCloudKittyEndToEndTests.sample("tally_group_rebalances_total", metrics) ?? 0) >= 1, "\(metrics)")
            #expect(metrics.contains("# TYPE tally_group_changelog_records_restored_total counter"))
            owned.append(count)
        }
        #expect(owned.reduce(0, +) == 3, "every partition owned by exactly one rater: \(owned)")
        let statusA = GroupRaterSetup.stop(a), statusB = GroupRaterSetup.stop(b)
        let outA = GroupRaterSetup.text(setup.log("a")), outB = GroupRaterSetup.text(setup.log("b"))
        #expect(statusA == 0 && statusB == 0, "logs:\n\(outA)\n---\n\(outB)")
        let framesA = TallyProcess.counters(in: outA)["frames_emitted"] ?? 0
        let framesB = TallyProcess.counters(in: outB)["frames_emitted"] ?? 0
        #expect(framesA > 0 && framesB > 0, "both raters emitted frames: \(framesA) and \(framesB)")
    }

    /// Kill -9 one rater mid-stream; its replacement starts under the same instance name
    /// (static membership: it takes the dead member's partitions at once) with an EMPTY
    /// state directory, so its task must restore everything from the changelog.
    @Test func aKilledRatersPartitionIsRestoredFromTheChangelogIntoAnEmptyStateDirectory() throws {
        let setup = try GroupRaterSetup(group: "kill")
        let a = try setup.startRater("a")
        defer { _ = GroupRaterSetup.stop(a) }
        #expect(setup.waitForOwnership([("a", 3)], seconds: 60), "\(GroupRaterSetup.text(setup.log("a")))")
        var b = try setup.startRater("b")
        defer { _ = GroupRaterSetup.stop(b) }
        #expect(setup.waitForSplit(["a", "b"]), "\(setup.logs(["a", "b"]))")
        let half = setup.records.count / 2
        try setup.produce(0..<half)
        // Kill b once it has committed frames (its progress line counts them), a random moment later.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && GroupRaterSetup.framesInLastProgress(setup.log("b")) == 0 { usleep(50_000) }
        usleep(UInt32.random(in: 0...400_000))
        #expect(b.isRunning)
        kill(b.processIdentifier, SIGKILL)
        b.waitUntilExit()
        let framesAtKill = try setup.fixture.frames().framesRead
        try setup.produce(half..<setup.records.count)

        b = try setup.startRater("b", stateSuffix: "-new")
        let restoredLine = { GroupRaterSetup.text(setup.log("b")).split(separator: "\n").last { $0.contains("(cache stamp none)") } }
        let restoreDeadline = Date().addingTimeInterval(120)
        while Date() < restoreDeadline && restoredLine() == nil { usleep(100_000) }
        let line = restoredLine().map(String.init) ?? ""
        let applied = line.range(of: "restored: ").map { Int(line[$0.upperBound...].prefix { $0.isNumber }) ?? 0 } ?? 0
        #expect(applied > 0, "the replacement restored its partition from the changelog: \(line)\n\(GroupRaterSetup.text(setup.log("b")))")
        try setup.produceClosers()
        try setup.checkEnd("frames before the kill \(framesAtKill); logs:\n\(GroupRaterSetup.text(setup.log("a")))\n---\n\(GroupRaterSetup.text(setup.log("b")))")
        #expect(GroupRaterSetup.stop(a) == 0 && GroupRaterSetup.stop(b) == 0)
        print("group rater kill: \(framesAtKill) frames before the kill; \(line)")
    }

    /// One rater runs alone, then a second and a third join while input flows (static
    /// members): partitions move to the newcomers, which restore their state from the
    /// changelog (their state directories are new), and the first rater keeps its cache
    /// for the partitions it gets back. Each move is logged.
    @Test func scalingFromOneToThreeRatersWhileRunningMovesStateWithThePartitions() throws {
        let setup = try GroupRaterSetup(group: "scale")
        let third = setup.records.count / 3
        let a = try setup.startRater("a")
        defer { _ = GroupRaterSetup.stop(a) }
        #expect(setup.waitForOwnership([("a", 3)], seconds: 60), "\(setup.logs(["a"]))")
        try setup.produce(0..<third)
        var deadline = Date().addingTimeInterval(120)
        while Date() < deadline && GroupRaterSetup.framesInLastProgress(setup.log("a")) == 0 { usleep(50_000) }

        let b = try setup.startRater("b")
        defer { _ = GroupRaterSetup.stop(b) }
        #expect(setup.waitForSplit(["a", "b"]), "\(setup.logs(["a", "b"]))")
        try setup.produce(third..<2 * third)
        deadline = Date().addingTimeInterval(120)
        while Date() < deadline && GroupRaterSetup.framesInLastProgress(setup.log("b")) == 0 { usleep(50_000) }

        let c = try setup.startRater("c")
        defer { _ = GroupRaterSetup.stop(c) }
        #expect(setup.waitForSplit(["a", "b", "c"]), "\(setup.logs(["a", "b", "c"]))")
        try setup.produce(2 * third..<setup.records.count)
        try setup.produceClosers()
        try setup.checkEnd(setup.logs(["a", "b", "c"]))

        // The newcomers took partitions a had rated: their state came from the changelog.
        #expect(GroupRaterSetup.mostRestored(setup.log("b")) > 0, "\(setup.logs(["b"]))")
        #expect(GroupRaterSetup.mostRestored(setup.log("c")) > 0, "\(setup.logs(["c"]))")
        let logA = GroupRaterSetup.text(setup.log("a"))
        #expect(logA.contains("revoked metering.sample[0], metering.sample[1], metering.sample[2]"), "a gave its partitions back for the rebalance")
        let statuses = [GroupRaterSetup.stop(a), GroupRaterSetup.stop(b), GroupRaterSetup.stop(c)]
        #expect(statuses == [0, 0, 0], "\(setup.logs(["a", "b", "c"]))")
        let moves = setup.logs(["a", "b", "c"]).split(separator: "\n").filter { $0.contains("assigned") || $0.contains("revoked") || $0.contains("restored:") }
        print("group rater scale 1→3:\n" + moves.joined(separator: "\n"))
    }
}
