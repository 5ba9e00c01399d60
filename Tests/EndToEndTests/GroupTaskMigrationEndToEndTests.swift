import Foundation
import Testing
import TallyKafka

/// Issue 13's leftover: a group rater whose task's producer is fenced (a newer producer
/// registered the task's `transactional.id`, as the partition's next owner does) treats it
/// as Kafka Streams' "task migrated" — closes the task without committing and opens it
/// again while the group still assigns it here — instead of exiting 1.
@Suite(.serialized) struct GroupTaskMigrationEndToEndTests {
    @Test func aFencedTaskIsClosedWithoutCommittingAndReopenedWhileTheOthersRunOn() throws {
        let setup = try GroupRaterSetup(group: "fenced")
        let a = try setup.startRater("a")
        defer { _ = GroupRaterSetup.stop(a) }
        #expect(setup.waitForOwnership([("a", 3)], seconds: 60), "\(setup.logs(["a"]))")
        let half = setup.records.count / 2
        try setup.produce(0..<half)
        var deadline = Date().addingTimeInterval(120)
        while Date() < deadline && GroupRaterSetup.framesInLastProgress(setup.log("a")) == 0 { usleep(50_000) }

        // What a new owner of partition 1 does first: register the task's transactional id,
        // which bumps its epoch and fences the rater's producer for that task.
        let fencer = try KafkaTransactionalProducer(config: KafkaConfig(bootstrapServers: setup.fixture.broker.bootstrapServers),
                                                    transactionalID: "fenced-metering.sample-1")
        try fencer.initTransactions(timeoutMs: 30_000)
        try setup.produce(half..<setup.records.count)
        let migratedLine = { GroupRaterSetup.text(setup.log("a")).split(separator: "\n").first { $0.contains("task migrated") } }
        deadline = Date().addingTimeInterval(120)
        while Date() < deadline && migratedLine() == nil { usleep(100_000) }
        #expect(migratedLine()?.contains("metering.sample[1]") == true, "the fenced task was migrated: \(setup.logs(["a"]))")
        #expect(a.isRunning, "the rater did not exit: \(setup.logs(["a"]))")

        try setup.produceClosers()
        try setup.checkEnd(setup.logs(["a"]))
        // Still owning all three partitions while it runs (stopping revokes them all).
        #expect(GroupRaterSetup.lastOwned(setup.log("a")) == 3, "\(setup.logs(["a"]))")
        let status = GroupRaterSetup.stop(a)
        let log = GroupRaterSetup.text(setup.log("a"))
        #expect(status == 0, "\(log)")
        #expect((TallyProcess.counters(in: log)["tasks_migrated"] ?? 0) >= 1, "\(log)")
        // Reopened: restored from the changelog a second time, still owning all three partitions.
        let restores = log.split(separator: "\n").filter { $0.contains("metering.sample[1] restored:") }
        #expect(restores.count >= 2, "\(log)")
        print("group task migration: \(migratedLine().map(String.init) ?? "")")
    }
}
