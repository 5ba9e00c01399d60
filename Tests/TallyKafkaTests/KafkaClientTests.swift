import Foundation
import Testing
import TallyKafka
import TallyTestSupport

/// Tests that need no broker process: configuration errors and librdkafka's mock cluster.
@Suite struct KafkaClientTests {
    @Test func unknownConfigurationKeyIsNamedInTheError() {
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(config: KafkaConfig(["bootstrap.servers": "127.0.0.1:1", "linger.msx": "5"]))
        }
        #expect(error?.context == "configuration key \"linger.msx\" = \"5\"")
        #expect(error?.name == "_INVALID_ARG")
    }

    @Test func invalidConfigurationValueIsNamedInTheError() {
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaConsumer(config: KafkaConfig(["queued.min.messages": "lots"]), groupID: "g")
        }
        #expect(error?.context.contains("queued.min.messages") == true)
    }

    @Test func mockClusterRoundTrip() throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("demo", partitions: 2)
        let values = (0..<200).map { Array("m\($0)".utf8) }
        let reports = try KafkaTestIO.produce(values, keys: values, to: "demo", bootstrapServers: cluster.bootstrapServers)
        #expect(reports.allSatisfy { $0.error == nil })
        let records = try KafkaTestIO.consumeAll(topic: "demo", partitions: 2, bootstrapServers: cluster.bootstrapServers)
        #expect(records.map(\.value).sorted { $0.lexicographicallyPrecedes($1) }
                == values.sorted { $0.lexicographicallyPrecedes($1) })
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: cluster.bootstrapServers))
        let highs = try (Int32(0)..<2).map { try admin.watermarks(topic: "demo", partition: $0).high }
        #expect(highs.reduce(0, +) == 200)
    }

    @Test func producingToAnUnknownPartitionFailsWithContext() throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("one", partitions: 1)
        let producer = try KafkaProducer(config: KafkaConfig(bootstrapServers: cluster.bootstrapServers))
        let topic = try producer.topic("one")
        var failure: KafkaError?
        do {
            try producer.produce(to: topic, partition: 7, key: nil, value: [1], token: 9)
            // Unknown until metadata arrives: then the delivery report carries the error.
            try producer.flush(timeoutMs: 10_000) { report in
                #expect(report.token == 9)
                failure = report.error
            }
        } catch let error as KafkaError {
            failure = error
        }
        let error = try #require(failure)
        #expect(error.isUnknownTopicOrPartition, "got \(error)")
    }
}
