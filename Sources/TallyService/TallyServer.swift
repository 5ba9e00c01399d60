import Hummingbird
import NIOCore
import TallyRuntime

/// `tally serve`: builds the router from every route group and runs the HTTP server
/// until SIGTERM or SIGINT.
public enum TallyServer {
    /// Every route group of the service. A new area of the API adds one line here.
    static func buildRouter(service: ServiceContext) -> Router<TallyRequestContext> {
        let router = Router(context: TallyRequestContext.self)
        switch service.config.apiAuth {
        case .noauth: router.add(middleware: NoAuthMiddleware())
        case .token: break  // bearer tokens: until that authenticator exists, every caller gets 401
        }
        VersionsRoutes.register(on: router, service: service)
        return router
    }

    /// Runs the service. `onListening` receives the base URL once the socket is bound (with
    /// port 0 the kernel picks the port, which is how tests run several services at once).
    public static func run(config: ServiceConfig, configPath: String, listen: String? = nil,
                           onListening: @escaping @Sendable (String) -> Void) async throws {
        let (host, port) = try parseListen(listen ?? config.apiListen)
        let service = ServiceContext(config: config, configPath: configPath)
        let app = Application(
            router: buildRouter(service: service),
            configuration: .init(address: .hostname(host, port: port), serverName: "tally"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                onListening("http://\(host):\(bound)")
            })
        try await app.runService()
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
