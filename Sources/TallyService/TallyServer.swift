import Hummingbird
import Logging
import NIOCore
import TallyCrypto
import TallyIndex
import TallyKafka
import TallyRuntime
import TallyWire

/// `tally serve`: builds the router from every route group and runs the HTTP server
/// until SIGTERM or SIGINT.
public enum TallyServer {
    /// Every route group of the service. A new area of the API adds one line here.
    static func buildRouter(service: ServiceContext) -> Router<TallyRequestContext> {
        let router = Router(context: TallyRequestContext.self)
        switch service.config.apiAuth {
        case .noauth: router.add(middleware: NoAuthMiddleware())
        case .token: router.add(middleware: TokenAuthMiddleware(tokens: TokenTable(store: TokenStore(path: service.config.tokensFile))))
        }
        router.add(middleware: GetBodyParametersMiddleware())
        // Before every route: Hummingbird applies a middleware only to the routes added after it.
        DashboardRoutes.register(on: router, service: service)
        VersionsRoutes.register(on: router, service: service)
        ReportV1Routes.register(on: router, service: service)
        SummaryV2Routes.register(on: router, service: service)
        DataframesRoutes.register(on: router, service: service)
        ImportedDataframesRoutes.register(on: router, service: service)
        InfoRoutes.register(on: router, service: service)
        let reprocessing = ReprocessRunner(service: service)
        ScopeRoutes.register(on: router, service: service)
        ScopeWriteRoutes.register(on: router, service: service, reprocessing: reprocessing)
        FramesRoutes.register(on: router, service: service)
        OperationsRoutes.register(on: router, service: service)
        RatingRoutes.register(on: router, rules: service.rules)
        HashmapRoutes.register(on: router, rules: service.rules)
        PyscriptRoutes.register(on: router, rules: service.rules)
        CollectorRoutes.register(on: router)
        ReprocessRoutes.register(on: router, runner: reprocessing)
        AuditRoutes.register(on: router, service: service, rules: service.rules)
        return router
    }

    /// Runs the service. `onListening` receives the base URL once the socket is bound (with
    /// port 0 the kernel picks the port, which is how tests run several services at once).
    public static func run(config: ServiceConfig, configPath: String, listen: String? = nil,
                           onListening: @escaping @Sendable (String) -> Void) async throws {
        let (host, port) = try parseListen(listen ?? config.apiListen)
        let signingKey = try ServiceSigningKey.loadOrCreate(path: config.signingKeyFile)
        print("tally serve: rule events are signed with key \(Ed25519.keyID(publicKey: signingKey.publicKey)); "
              + "public key line: \(ServiceSigningKey.publicKeyLine(signingKey))")
        let metrics = try MetricsConfigLoader.load(contentsOf: config.metricsFile)
        let index = try FrameIndex(path: config.indexPath)
        let kafka = ServiceContext.kafkaConfig(config)
        let follower = FrameIndexFollower(index: index, topic: config.framesTopic, kafka: kafka)
        follower.log = { ServeLog.logger.warning("\($0)") }
        follower.start()
        defer { follower.stop(); index.close() }
        // The rule log, folded once and kept up to date: rule reads never go to the broker.
        let ruleFollower = RuleLogFollower(topic: config.rulesTopic, kafka: kafka)
        ruleFollower.log = { ServeLog.logger.warning("\($0)") }
        // After the history, every event folded is a change picked up live (ours included).
        ruleFollower.onLiveEvent = { RuleChangeLog.log(ServeLog.logger, eventBytes: $0, offset: $1, outcome: $2) }
        ruleFollower.start()
        defer { ruleFollower.stop() }
        let service = ServiceContext(config: config, configPath: configPath, metrics: metrics, index: index, follower: follower,
                                     ruleSigner: Ed25519RuleSigner(key: signingKey), ruleFollower: ruleFollower)
        let app = Application(
            router: buildRouter(service: service),
            configuration: .init(address: .hostname(host, port: port), serverName: "tally"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                ServeLog.logger.info("tally serve: listening", metadata: ["url": "http://\(host):\(bound)",
                                                                       "auth": "\(config.apiAuth)", "index": .string(config.indexPath)])
                onListening("http://\(host):\(bound)")
            }, logger: ServeLog.logger)
        try await app.runService()
        ServeLog.logger.info("tally serve: stopped")
    }

    /// `HOST:PORT` → its parts; the error names the value and what was expected.
    public static func parseListen(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65_535).contains(port), colon != text.startIndex else {
            throw ListenAddressError(value: text)
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}

public struct ListenAddressError: Error, CustomStringConvertible {
    public var value: String
    public var description: String { "listen address '\(value)' is not HOST:PORT (e.g. 127.0.0.1:8889)" }
}

/// The logger of `tally serve` (handler chosen by `log.format` / `log.level`).
enum ServeLog {
    static let logger = Logger(label: "tally.serve")
}
