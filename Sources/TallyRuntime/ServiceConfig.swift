import Foundation
import TallyEngine
import Yams

/// The rater's configuration file (`tally run --config FILE`, docs/CONFIG.md).
/// Paths inside it are relative to the file's directory.
public struct ServiceConfig: Sendable {
    public struct Input: Sendable, Equatable {
        public enum Format: String, Sendable { case ceilometer, native, cloudevents, auto }
        public var topic: String
        public var format: Format
        /// Where the telemetry secret that signs Ceilometer samples is read from; nil:
        /// signatures are not checked. Only the place is kept here, never the secret.
        public var signatureSecret: SecretSource?
        /// Notification priorities accepted on a Ceilometer input (empty: any).
        public var priorities: [String] = ["SAMPLE"]
        /// `dead-letter`, `count` or `ignore` (docs/INPUTS.md).
        public var unknownMeters: UnknownMeterPolicy = .deadLetter

        public init(topic: String, format: Format) { self.topic = topic; self.format = format }
    }

    /// A secret kept outside the configuration file.
    public enum SecretSource: Sendable, Equatable, CustomStringConvertible {
        case file(String)
        case environment(String)
        public var description: String {
            switch self {
            case .file(let path): "the file '\(path)'"
            case .environment(let name): "the environment variable \(name)"
            }
        }
    }

    public var bootstrapServers: String
    public var inputs: [Input]
    public var framesTopic: String
    public var deadLetterTopic: String
    /// The rule log (one partition); the rater follows it when `rulesFile` is nil.
    public var rulesTopic: String
    public var framesPartitions: Int32
    public var inputPartitions: Int32
    public var createTopics: Bool
    public var kafkaProperties: [String: String]
    public var statePath: String
    public var mapSizeMiB: Int
    public var durableCommits: Bool
    public var metricsFile: String
    public var rulesFile: String?
    public var currency: String
    public var batchSamples: Int
    public var batchMillis: Int
    /// Replays read the input topics whole instead of from offsets_for_times (for brokers
    /// without it, such as librdkafka's mock cluster). `replay.whole_topics` in the file.
    public var replayReadsWholeTopics = false

    public init(bootstrapServers: String, statePath: String, metricsFile: String, rulesFile: String? = nil) {
        self.bootstrapServers = bootstrapServers
        inputs = [Input(topic: "metering.sample", format: .ceilometer), Input(topic: "tally.samples", format: .auto)]
        framesTopic = "tally.frames"
        deadLetterTopic = "tally.deadletter"
        rulesTopic = "tally.rules"
        framesPartitions = 3
        inputPartitions = 3
        createTopics = true
        kafkaProperties = [:]
        self.statePath = statePath
        mapSizeMiB = 4096
        durableCommits = true
        self.metricsFile = metricsFile
        self.rulesFile = rulesFile
        currency = "EUR"
        batchSamples = 10_000
        batchMillis = 100
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public var file: String
    public var detail: String
    public var description: String { "\(file): \(detail)" }
}

extension ServiceConfig {
    /// Loads and checks a configuration file; `TALLY_BOOTSTRAP` and `TALLY_STATE`
    /// in the environment override the broker list and the state directory.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServiceConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, detail: "cannot read the file (\(error.localizedDescription))")
        }
        let base = (path as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String { p.hasPrefix("/") || base.isEmpty ? p : base + "/" + p }
        guard let root = try Yams.load(yaml: text) as? [String: Any] else {
            throw ConfigError(file: path, detail: "the top level must be a mapping")
        }
        let reader = YAMLFields(file: path, map: root, context: "")
        let kafka = try reader.map("kafka")
        let state = try reader.map("state")
        let engine = try reader.map("engine")
        let rating = try reader.map("rating")

        guard let metrics = try reader.string("metrics") else {
            throw ConfigError(file: path, detail: "`metrics` (the metrics file) is required")
        }
        var config = ServiceConfig(
            bootstrapServers: try kafka.string("bootstrap") ?? "127.0.0.1:9092",
            statePath: resolve(try state.string("path") ?? "tally-state"),
            metricsFile: resolve(metrics),
            rulesFile: try reader.string("rules").map(resolve))
        if let inputs = try kafka.list("inputs") {
            config.inputs = try inputs.enumerated().map { i, item in
                guard let m = item as? [String: Any] else {
                    throw ConfigError(file: path, detail: "kafka.inputs[\(i)] must be a mapping with topic and format")
                }
                let f = YAMLFields(file: path, map: m, context: "kafka.inputs[\(i)].")
                guard let topic = try f.string("topic") else { throw ConfigError(file: path, detail: "kafka.inputs[\(i)].topic is required") }
                let formatName = try f.string("format") ?? "auto"
                guard let format = Input.Format(rawValue: formatName) else {
                    throw ConfigError(file: path, detail: "kafka.inputs[\(i)].format: unknown format '\(formatName)' (ceilometer, native, cloudevents, auto)")
                }
                var input = Input(topic: topic, format: format)
                try input.readPolicies(f, file: path, context: "kafka.inputs[\(i)]", resolve: resolve, environment: environment)
                return input
            }
        }
        config.framesTopic = try kafka.string("frames_topic") ?? config.framesTopic
        config.deadLetterTopic = try kafka.string("deadletter_topic") ?? config.deadLetterTopic
        config.rulesTopic = try kafka.string("rules_topic") ?? config.rulesTopic
        config.framesPartitions = Int32(try kafka.int("frames_partitions") ?? Int(config.framesPartitions))
        config.inputPartitions = Int32(try kafka.int("input_partitions") ?? Int(config.inputPartitions))
        config.createTopics = try kafka.bool("create_topics") ?? true
        config.kafkaProperties = try kafka.map("properties").mapping.mapValues { "\($0)" }
        config.mapSizeMiB = try state.int("map_size_mib") ?? config.mapSizeMiB
        config.durableCommits = try state.bool("durable") ?? true
        config.currency = try rating.string("currency") ?? config.currency
        config.batchSamples = try engine.int("batch_samples") ?? config.batchSamples
        config.batchMillis = try engine.int("batch_ms") ?? config.batchMillis
        config.replayReadsWholeTopics = try reader.map("replay").bool("whole_topics") ?? false
        if let b = environment["TALLY_BOOTSTRAP"], !b.isEmpty { config.bootstrapServers = b }
        if let s = environment["TALLY_STATE"], !s.isEmpty { config.statePath = s }
        guard config.framesPartitions > 0, config.inputPartitions > 0 else {
            throw ConfigError(file: path, detail: "kafka.frames_partitions and kafka.input_partitions must be positive")
        }
        return config
    }
}

/// Typed access to a YAML mapping with errors that name the key.
struct YAMLFields {
    let file: String
    let mapping: [String: Any]
    let context: String

    init(file: String, map: [String: Any], context: String) { self.file = file; self.mapping = map; self.context = context }

    private func fail(_ key: String, _ expected: String) -> ConfigError {
        ConfigError(file: file, detail: "\(context)\(key) must be \(expected), got '\(mapping[key].map { "\($0)" } ?? "")'")
    }
    func string(_ key: String) throws -> String? {
        guard let v = mapping[key] else { return nil }
        if let s = v as? String { return s }
        if v is Int || v is Double { return "\(v)" }
        throw fail(key, "a string")
    }
    func int(_ key: String) throws -> Int? {
        guard let v = mapping[key] else { return nil }
        guard let i = v as? Int else { throw fail(key, "an integer") }
        return i
    }
    func bool(_ key: String) throws -> Bool? {
        guard let v = mapping[key] else { return nil }
        guard let b = v as? Bool else { throw fail(key, "true or false") }
        return b
    }
    func list(_ key: String) throws -> [Any]? {
        guard let v = mapping[key] else { return nil }
        guard let l = v as? [Any] else { throw fail(key, "a list") }
        return l
    }
    func map(_ key: String) throws -> YAMLFields {
        guard let v = mapping[key] else { return YAMLFields(file: file, map: [:], context: context + key + ".") }
        guard let m = v as? [String: Any] else { throw fail(key, "a mapping") }
        return YAMLFields(file: file, map: m, context: context + key + ".")
    }
}
