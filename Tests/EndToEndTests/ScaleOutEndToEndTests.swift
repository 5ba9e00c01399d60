import Foundation
import Testing
import TallyCore
import TallyRuntime

/// Issue 13's test of the whole pipeline, as processes against the real broker: Ceilometer
/// notifications with null keys (most holding samples of several resources) on a raw topic
/// of 3 partitions; 2 routers (`tally route`) and 3 raters (`tally run --group`) at once;
/// partitions move as raters join, one rater is killed with kill -9 mid-stream and replaced
/// under its name with an EMPTY state directory. `vcpus` is priced on cumulative tiers
/// and keyed by project (`route_key: project`). At the end every window's latest revision
/// equals an independent computation (tier prices included), no frame differs from
/// another copy of itself, every sample is counted once in the frames' lineage, nothing is
/// dead-lettered, and `tally verify` passes.
@Suite(.serialized) struct ScaleOutEndToEndTests {
    @Test func twoRoutersAndThreeRatersRateEverySampleOnceAcrossAKillAndMovingPartitions() throws {
        let setup = try ScaleOutSetup()
        var processes: [String: Process] = [:]
        // Every process this test starts is stopped, whatever fails.
        defer { for process in processes.values { _ = GroupRaterSetup.stop(process) } }
        let third = setup.records.count / 3

        processes["r1"] = try setup.startRouter("r1")
        processes["r2"] = try setup.startRouter("r2")
        processes["a"] = try setup.startRater("a")
        try setup.produce(0..<third)
        var deadline = Date().addingTimeInterval(120)
        while Date() < deadline && GroupRaterSetup.framesInLastProgress(setup.raterLog("a")) == 0 { usleep(50_000) }
        #expect(GroupRaterSetup.framesInLastProgress(setup.raterLog("a")) > 0, "\(setup.logs(["rater-a", "route-r1", "route-r2"]))")

        // Two more raters join while input flows: a's partitions move to them with their state.
        processes["b"] = try setup.startRater("b")
        processes["c"] = try setup.startRater("c")
        try setup.produce(third..<2 * third)
        #expect(setup.waitForSplit(["a", "b", "c"]), "\(setup.logs(["rater-a", "rater-b", "rater-c"]))")
        deadline = Date().addingTimeInterval(120)
        while Date() < deadline && GroupRaterSetup.framesInLastProgress(setup.raterLog("b")) == 0 { usleep(50_000) }

        // kill -9 b once it has committed frames, a random moment later, with input still coming.
        usleep(UInt32.random(in: 0...400_000))
        let b = try #require(processes["b"])
        #expect(b.isRunning, "\(setup.logs(["rater-b"]))")
        kill(b.processIdentifier, SIGKILL)
        b.waitUntilExit()
        try setup.produce(2 * third..<setup.records.count)
        processes["b"] = try setup.startRater("b", stateSuffix: "-new")
        let restoredLine = { GroupRaterSetup.text(setup.raterLog("b")).split(separator: "\n").last { $0.contains("(cache stamp none)") } }
        deadline = Date().addingTimeInterval(120)
        while Date() < deadline && restoredLine() == nil { usleep(100_000) }
        let line = restoredLine().map(String.init) ?? ""
        let applied = line.range(of: "restored: ").map { Int(line[$0.upperBound...].prefix { $0.isNumber }) ?? 0 } ?? 0
        #expect(applied > 0, "the replacement restored its partition from the changelog: \(line)\n\(setup.logs(["rater-b"]))")

        // Close the data's last windows only once every raw record is routed.
        #expect(try setup.waitForRouted(seconds: 180), "\(setup.logs(["route-r1", "route-r2"]))")
        try setup.produceClosers()

        let (ledger, problems) = try setup.waitForExactFrames(seconds: 240)
        let allLogs = setup.logs(["rater-a", "rater-b", "rater-c", "route-r1", "route-r2"])
        #expect(problems.count == 0, "\(problems.count) problems: \(problems.prefix(10))\n\(allLogs)")
        #expect(ledger.conflicts.count == 0, "frames resent with different bytes: \(ledger.conflicts.prefix(5))")
        #expect(ledger.malformed == 0)
        let tiered = ledger.latest.values.filter { $0.metric == "vcpus" && $0.price.canonicalText != "0" }
        #expect(tiered.count > 100, "vcpus windows are priced on tiers: \(tiered.count)")
        #expect(ScaleOutSetup.samplesCounted(ledger) == setup.samples.count,
                "every sample counted once in the latest frames' lineage (\(setup.samples.count) samples)")
        #expect(try setup.fixture.deadLetters().isEmpty, "the raters refused nothing")
        let verify = try setup.verify()
        #expect(verify.status == 0, "verify: \(verify.output.split(separator: "\n").filter { !$0.hasPrefix("  ok") }.prefix(12))")

        // Both routers routed and split; every rater stops cleanly.
        var statuses: [String: Int32] = [:]
        for name in ["a", "b", "c", "r1", "r2"] { statuses[name] = processes[name].map(GroupRaterSetup.stop) ?? -1 }
        // The logs read again after the stop: what a process printed while stopping is the point.
        #expect(statuses.values.allSatisfy { $0 == 0 },
                "\(statuses)\n\(setup.logs(["rater-a", "rater-b", "rater-c", "route-r1", "route-r2"]))")
        for router in ["r1", "r2"] {
            let counters = TallyProcess.counters(in: GroupRaterSetup.text(setup.log("route-\(router)")))
            #expect(counters["records_routed", default: 0] > 0, "\(router) routed records: \(counters)")
        }
        let split = ["r1", "r2"].reduce(UInt64(0)) { $0 + TallyProcess.counters(in: GroupRaterSetup.text(setup.log("route-\($1)")))["records_split", default: 0] }
        #expect(split > 0, "multi-resource notifications were split by key")
        let moves = allLogs.split(separator: "\n").filter { $0.contains("assigned") || $0.contains("revoked") || $0.contains("restored:") }
        print("scale-out: \(setup.records.count) raw records, \(setup.samples.count) samples, \(ledger.framesRead) frames read, "
            + "\(ledger.duplicates) byte-identical copies, \(ledger.latest.count) windows\n" + moves.joined(separator: "\n"))
    }
}
