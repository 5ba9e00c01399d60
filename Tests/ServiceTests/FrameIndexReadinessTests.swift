import Foundation
import Testing
import TallyKafka
import TallyTestSupport
@testable import TallyIndex

/// `/readyz` must not hang on end-of-partition events (CI once waited minutes for them with
/// every record indexed): the follower also counts the index caught up once it has stored the
/// broker's high watermark of every partition. Checked here against a real broker with a
/// follower that never consumes, so no end event can ever arrive.
@Suite(.serialized) struct FrameIndexReadinessTests {
    @Test func theIndexIsCaughtUpOnceItHoldsEveryHighWatermarkWithoutEndEvents() throws {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        let admin = try KafkaAdmin(config: broker.clientConfig)
        try admin.createTopic("tally.frames", partitions: 3)
        let frames = (0..<30).map { n in
            FrameIndexTests.frame(id: FrameIndexTests.id(n), scope: "p\(n % 4)", start: "2026-11-02T00:00:00Z", price: "\(n)")
        }
        _ = try KafkaTestIO.produce(frames, keys: (0..<30).map { Array("k\($0)".utf8) }, to: "tally.frames",
                                    bootstrapServers: broker.bootstrapServers)
        let records = try KafkaTestIO.consumeAll(topic: "tally.frames", partitions: 3, bootstrapServers: broker.bootstrapServers)
        #expect(Set(records.map(\.partition)).count > 1, "frames spread over partitions")

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-ready-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = try FrameIndex(path: path, mapSizeMiB: 64)
        defer { index.close() }
        let follower = FrameIndexFollower(index: index, topic: "tally.frames", kafka: broker.clientConfig)
        follower.watermarkCheckInterval = 0

        // Nothing indexed: not ready, and the reason names the partitions behind.
        let empty = follower.confirmCaughtUp()
        #expect(!empty.caughtUp)
        #expect(empty.watermarkCheck?.contains("records behind the high watermark") == true, "\(empty.watermarkCheck ?? "nil")")

        // All but the last record of one partition: still not ready, and only that partition is named.
        let last = try #require(records.last)
        try index.apply(records.dropLast().map { .init(partition: $0.partition, offset: $0.offset, value: $0.value) })
        let almost = follower.confirmCaughtUp()
        #expect(!almost.caughtUp)
        #expect(almost.watermarkCheck?.contains("partition \(last.partition): 1") == true, "\(almost.watermarkCheck ?? "nil")")

        // Every record stored: ready, though no consumer ever reported a partition's end.
        try index.apply([.init(partition: last.partition, offset: last.offset, value: last.value)])
        let ready = follower.confirmCaughtUp()
        #expect(ready.caughtUp && ready.partitionsAtEnd == 0)
        #expect(ready.watermarkCheck == nil)
    }
}
