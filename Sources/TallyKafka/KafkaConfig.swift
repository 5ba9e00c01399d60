import CRdKafka

/// librdkafka configuration as string key/values, exactly the names of librdkafka's
/// CONFIGURATION.md (`bootstrap.servers`, `linger.ms`, ...). Values set here override the
/// adapter's defaults for the client kind.
public struct KafkaConfig: Sendable {
    public var properties: [String: String]

    public init(_ properties: [String: String] = [:]) {
        self.properties = properties
    }

    /// A configuration that only names the brokers.
    public init(bootstrapServers: String) {
        self.init(["bootstrap.servers": bootstrapServers])
    }

    public subscript(key: String) -> String? {
        get { properties[key] }
        set { properties[key] = newValue }
    }

    /// `self` with `defaults` filled in under keys not set explicitly.
    func withDefaults(_ defaults: [String: String]) -> KafkaConfig {
        KafkaConfig(properties.merging(defaults) { explicit, _ in explicit })
    }

    /// Builds a `rd_kafka_conf_t*`, naming the offending key if librdkafka rejects one.
    /// The caller owns the result until `rd_kafka_new` succeeds.
    func makeNative() throws -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errorBuffer = [CChar](repeating: 0, count: 512)
        // Sorted so a config with several bad keys fails the same way every time.
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, key, value, &errorBuffer, errorBuffer.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue,
                                 message: errorString(errorBuffer),
                                 context: "configuration key \"\(key)\" = \"\(value)\"")
            }
        }
        return conf
    }
}

/// Creates a `rd_kafka_t*` of `type` from a finished native configuration (consumed).
func makeClient(_ type: rd_kafka_type_t, _ conf: OpaquePointer, context: String) throws -> OpaquePointer {
    var errorBuffer = [CChar](repeating: 0, count: 512)
    guard let rk = rd_kafka_new(type, conf, &errorBuffer, errorBuffer.count) else {
        rd_kafka_conf_destroy(conf)
        throw KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue,
                         message: errorString(errorBuffer), context: context)
    }
    return rk
}
