import Foundation
import Logging
import TallyEngine
import TallyWire
import Yams

/// The rater's configuration file (`tally run --config FILE`, docs/CONFIG.md).
/// Paths inside it are relative to the file's directory.
public struct ServiceConfig: Sendable {
    public struct Input: Sendable, Equatable {
        public enum Format: String, Sendable, CaseIterable { case ceilometer, native, cloudevents, auto }
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
    /// Correction commands from `tally replay --apply` and the rater's receipts (one partition).
    public var correctionsTopic = "tally.corrections"
    /// The rater's checkpoints of each frames partition's count and head hash (one partition).
    public var checkpointsTopic = "tally.checkpoints"
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
    /// Decode input records on a thread of their own while the rater's thread folds, closes
    /// and commits (`engine.decode_thread`; docs/ARCHITECTURE.md, "The hot path").
    public var decodeThread = true
    /// With durable commits, commit each batch's LMDB transaction on a thread of its own, so
    /// its waits for the disk overlap the next batch's poll and fold; the batch's frames are
    /// sent once it is durable (`engine.commit_thread`; docs/ARCHITECTURE.md, "The hot path").
    public var commitThread = true
    /// How long a stopping rater waits for the broker to acknowledge the outbox
    /// (`engine.stop_timeout_ms`) before it exits non-zero, leaving the rest in the outbox.
    public var stopTimeoutMs = 30_000
    /// What to do with an input partition whose stored offset is not on the broker
    /// (`kafka.on_offset_reset`): stop with an error (the default), or resume it.
    public var onOffsetReset: OffsetResetPolicy = .fail
    /// Replays read the input topics whole instead of from offsets_for_times (for brokers
    /// without it, such as librdkafka's mock cluster). `replay.whole_topics` in the file.
    public var replayReadsWholeTopics = false
    /// `tally serve`: the address it listens on (`api.listen`, HOST:PORT; port 0 picks one).
    public var apiListen = "127.0.0.1:8889"
    /// `tally serve`: `noauth` (every caller is an admin, as CloudKitty's noauth strategy) or
    /// `token` (bearer tokens from `tally tokens create`).
    public var apiAuth: APIAuthMode = .token
    /// `tally serve`/`tally tokens`: where the hashed bearer tokens live (`api.tokens_file`;
    /// default `api-tokens.json` in the state directory).
    public var apiTokensFile: String?
    /// `tally serve`: the Ed25519 key that signs rule events written through the API
    /// (`api.signing_key`; default `api-signing.key` in the state directory, made at first start).
    public var apiSigningKey: String?

    /// The tokens file in effect.
    public var tokensFile: String { apiTokensFile ?? statePath + "/api-tokens.json" }
    /// The signing key file in effect.
    public var signingKeyFile: String { apiSigningKey ?? statePath + "/api-signing.key" }
    /// `tally serve`: the frame index's LMDB directory (`api.index_path`, relative to the
    /// configuration file; default `tally-index` beside it). Deleting it rebuilds it from the topic.
    public var indexPath = "tally-index"
    /// `tally run`: HOST:PORT of its /metrics, /healthz and /readyz (`engine.metrics_listen`); nil: off.
    public var metricsListen: String?
    /// `tally run`/`tally serve`: the log on standard error, `log.format` (text for people,
    /// json for collectors: one object per line) and `log.level` (swift-log's levels).
    public var logFormat: LogFormat = .text
    public var logLevel: Logger.Level = .info
    /// `tally route`: the keyed repartition stage (`route:`, docs/SCALE.md).
    public var route = RouteSettings()
    /// `tally run` in a consumer group (`rater:`, docs/SCALE.md).
    public var raterGroup = RaterGroupSettings()

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

/// How `tally serve` authenticates callers (`api.auth`).
public enum APIAuthMode: String, Sendable, CaseIterable {
    case noauth
    case token
}

/// The operator's decision for an input partition whose stored offset the broker no
/// longer has (the topic was recreated, or retention deleted records not yet read).
public enum OffsetResetPolicy: String, Sendable, CaseIterable {
    /// Stop with an error naming the partition and both offsets; nothing is skipped.
    case fail
    /// Resume at the oldest record the partition still has.
    case earliest
    /// Resume at the partition's end: only records produced from now on are rated.
    case latest
}

public struct ConfigError: Error, CustomStringConvertible {
    public var file: String
    public var detail: String
    public var description: String { "\(file): \(detail)" }
}

extension ServiceConfig {
    /// Loads and checks a configuration file; `TALLY_BOOTSTRAP` and `TALLY_STATE`
    /// in the environment override the broker list and the state directory.
    /// Unknown keys and out-of-range values are errors naming `file:line:column` (a typo
    /// such as `bootstrp:` or `stat:` would otherwise fall back to a default silently).
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServiceConfig {
        let text: String
        do { text = try UserFile.text(path, what: "configuration file") } catch let error as UserFileError {
            throw ConfigError(file: path, detail: "the configuration file \(error.reason)")
        }
        let base = (path as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String { p.hasPrefix("/") || base.isEmpty ? p : base + "/" + p }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw ConfigError(file: path, detail: Self.describe(error))
        }
        guard let root else { throw ConfigError(file: path, detail: "the file is empty") }
        let document = YAMLCursor(node: root, path: "", file: path)
        let top = try ConfigSection(document, keys: topKeys)
        let kafka = try top.section("kafka", keys: kafkaKeys)
        let state = try top.section("state", keys: stateKeys)
        let engine = try top.section("engine", keys: engineKeys)
        let rating = try top.section("rating", keys: ratingKeys)
        let replay = try top.section("replay", keys: replayKeys)
        let api = try top.section("api", keys: apiKeys)
        let logSection = try top.section("log", keys: logKeys)
        let routeSection = try top.section("route", keys: routeKeys)
        let raterSection = try top.section("rater", keys: raterKeys)

        guard let metrics = try top["metrics"]?.nonEmptyString() else {
            throw document.error("`metrics` (the metrics file) is required")
        }
        var config = ServiceConfig(
            bootstrapServers: try kafka["bootstrap"]?.nonEmptyString() ?? "127.0.0.1:9092",
            statePath: resolve(try state["path"]?.nonEmptyString() ?? "tally-state"),
            metricsFile: resolve(metrics),
            rulesFile: try top["rules"].map { resolve(try $0.nonEmptyString()) })
        if let inputs = kafka["inputs"] {
            config.inputs = try inputs.sequence().map { item in
                let f = try ConfigSection(item, keys: inputKeys)
                guard let topic = try f["topic"]?.nonEmptyString() else { throw item.error("`topic` is required") }
                let format = try f["format"]?.choice(Input.Format.self) ?? .auto
                var input = Input(topic: topic, format: format)
                try input.readPolicies(f, item: item, resolve: resolve, environment: environment)
                return input
            }
            guard !config.inputs.isEmpty else { throw inputs.error("at least one input topic is required") }
        }
        config.framesTopic = try kafka["frames_topic"]?.nonEmptyString() ?? config.framesTopic
        config.deadLetterTopic = try kafka["deadletter_topic"]?.nonEmptyString() ?? config.deadLetterTopic
        config.rulesTopic = try kafka["rules_topic"]?.nonEmptyString() ?? config.rulesTopic
        config.correctionsTopic = try kafka["corrections_topic"]?.nonEmptyString() ?? config.correctionsTopic
        config.checkpointsTopic = try kafka["checkpoints_topic"]?.nonEmptyString() ?? config.checkpointsTopic
        config.framesPartitions = Int32(try kafka["frames_partitions"]?.integer(in: 1...10_000) ?? Int(config.framesPartitions))
        config.inputPartitions = Int32(try kafka["input_partitions"]?.integer(in: 1...10_000) ?? Int(config.inputPartitions))
        config.createTopics = try kafka["create_topics"]?.bool() ?? true
        config.onOffsetReset = try kafka["on_offset_reset"]?.choice(OffsetResetPolicy.self) ?? .fail
        if let properties = kafka["properties"], !properties.isNull {
            for (key, value) in try properties.mapping() { config.kafkaProperties[key] = try value.string() }
        }
        config.mapSizeMiB = try state["map_size_mib"]?.integer(in: 1...(1 << 24)) ?? config.mapSizeMiB
        config.durableCommits = try state["durable"]?.bool() ?? true
        config.currency = try rating["currency"]?.nonEmptyString() ?? config.currency
        config.batchSamples = try engine["batch_samples"]?.integer(in: 1...10_000_000) ?? config.batchSamples
        config.batchMillis = try engine["batch_ms"]?.integer(in: 1...3_600_000) ?? config.batchMillis
        config.decodeThread = try engine["decode_thread"]?.bool() ?? config.decodeThread
        config.commitThread = try engine["commit_thread"]?.bool() ?? config.commitThread
        config.metricsListen = try engine["metrics_listen"]?.nonEmptyString()
        config.stopTimeoutMs = try engine["stop_timeout_ms"]?.integer(in: 0...3_600_000) ?? config.stopTimeoutMs
        config.replayReadsWholeTopics = try replay["whole_topics"]?.bool() ?? false
        config.apiListen = try api["listen"]?.nonEmptyString() ?? config.apiListen
        config.apiAuth = try api["auth"]?.choice(APIAuthMode.self) ?? config.apiAuth
        config.apiTokensFile = try api["tokens_file"].map { resolve(try $0.nonEmptyString()) }
        config.apiSigningKey = try api["signing_key"].map { resolve(try $0.nonEmptyString()) }
        config.logFormat = try logSection["format"]?.choice(LogFormat.self) ?? config.logFormat
        config.logLevel = try logSection["level"]?.choice(Logger.Level.self) ?? config.logLevel
        config.route = try readRoute(routeSection)
        config.raterGroup = try readRaterGroup(raterSection)
        config.indexPath = resolve(try api["index_path"]?.nonEmptyString() ?? "tally-index")
        if let b = environment["TALLY_BOOTSTRAP"], !b.isEmpty { config.bootstrapServers = b }
        if let s = environment["TALLY_STATE"], !s.isEmpty { config.statePath = s }
        return config
    }

    // Every key the file may hold, per section: anything else is a typo.
    static let topKeys: Set<String> = ["kafka", "state", "metrics", "rules", "rating", "engine", "replay", "api", "log", "route", "rater"]
    static let kafkaKeys: Set<String> = ["bootstrap", "inputs", "frames_topic", "deadletter_topic", "rules_topic",
                                         "frames_partitions", "input_partitions", "create_topics", "properties",
                                         "on_offset_reset", "corrections_topic", "checkpoints_topic"]
    static let inputKeys: Set<String> = ["topic", "format", "signature_secret", "priorities", "unknown_meters"]
    static let stateKeys: Set<String> = ["path", "map_size_mib", "durable"]
    static let ratingKeys: Set<String> = ["currency"]
    static let engineKeys: Set<String> = ["batch_samples", "batch_ms", "decode_thread", "commit_thread", "stop_timeout_ms", "metrics_listen"]
    static let replayKeys: Set<String> = ["whole_topics"]
    static let logKeys: Set<String> = ["format", "level"]
    static let apiKeys: Set<String> = ["listen", "auth", "tokens_file", "signing_key", "index_path"]

    /// A YAML syntax error with the file, line and column Yams reports.
    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): not valid YAML: \(problem)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "line \(context.mark.line), column \(context.mark.column): duplicate key \(duplicates.joined(separator: ", "))"
        default:
            return "not valid YAML: \(error)"
        }
    }
}

/// One mapping of the configuration with its allowed keys checked; an absent or empty
/// (`kafka:` with nothing under it) section reads as empty.
struct ConfigSection {
    private var members: [String: YAMLCursor] = [:]

    init(_ cursor: YAMLCursor, keys: Set<String>) throws {
        guard !cursor.isNull else { return }
        for (key, value) in try cursor.mapping(allowed: keys) { members[key] = value }
    }

    /// The member's value; an explicit null (`rules: ~`) reads as absent.
    subscript(key: String) -> YAMLCursor? { members[key].flatMap { $0.isNull ? nil : $0 } }

    func section(_ key: String, keys: Set<String>) throws -> ConfigSection {
        guard let cursor = members[key] else { return ConfigSection() }
        return try ConfigSection(cursor, keys: keys)
    }

    private init() {}
}

extension YAMLCursor {
    func nonEmptyString() throws -> String {
        let text = try string()
        guard !text.isEmpty else { throw error("must not be empty") }
        return text
    }

    func integer(in range: ClosedRange<Int>) throws -> Int {
        let value = try integer()
        guard range.contains(value) else {
            throw error("\(value) is out of range (\(range.lowerBound)…\(range.upperBound))")
        }
        return value
    }
}
