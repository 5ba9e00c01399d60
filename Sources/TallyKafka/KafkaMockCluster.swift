import CRdKafka

/// librdkafka's in-process mock cluster: memory only, ready in milliseconds, for demos and
/// fast tests. Lacks CreateTopics (use `createTopic`), offsets_for_times, and
/// transactional filtering; keeps ≤ ~5 MiB or 100k messages per partition.
public final class KafkaMockCluster {
    private let owner: OpaquePointer
    private let cluster: OpaquePointer
    /// Pass as `bootstrap.servers` to clients.
    public let bootstrapServers: String

    public init(brokers: Int = 1) throws {
        // The cluster lives inside a client instance; a producer handle with no brokers of
        // its own is the lightest owner.
        let conf = try KafkaConfig(["log_level": "3"]).makeNative()
        owner = try makeClient(RD_KAFKA_PRODUCER, conf, context: "creating mock cluster owner")
        guard let cluster = rd_kafka_mock_cluster_new(owner, Int32(brokers)) else {
            rd_kafka_destroy(owner)
            throw KafkaError(RD_KAFKA_RESP_ERR__FAIL, context: "creating mock cluster with \(brokers) brokers")
        }
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }

    /// Creates a topic on the mock brokers.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        try check(rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor)),
                  "create mock topic \"\(name)\"")
    }
}
