import Foundation
import Hummingbird
import Testing
import TallyCore
import TallyRuntime
import TallyWire
@testable import TallyService

/// docs/openapi.yaml describes every route `tally serve` registers: the test builds the real
/// router (TallyServer.buildRouter) and fails, naming each route, when the document lacks one
/// or lists one the service does not serve.
@Suite struct OpenAPIDocumentTests {
    static let documentPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml").path

    /// `METHOD /path/{param}` for each route of the router (Hummingbird's `:param` → `{param}`).
    static func registeredRoutes() throws -> Set<String> {
        var config = ServiceConfig(bootstrapServers: "127.0.0.1:1", statePath: NSTemporaryDirectory(), metricsFile: "")
        config.apiAuth = .noauth
        let metrics = try MetricsConfigLoader.load(yaml: "metrics:\n  instance: {unit: instance, period: PT1H}\n")
        let service = ServiceContext(config: config, configPath: "", metrics: metrics, index: nil)
        let router = TallyServer.buildRouter(service: service)
        return Set(router.routes.map { route in
            let path = "/" + route.path.description.split(separator: "/").map { part in
                part.hasPrefix(":") ? "{" + part.dropFirst() + "}" : String(part)
            }.joined(separator: "/")
            return "\(route.method.rawValue) \(path)"
        })
    }

    /// `METHOD /path` for each operation under `paths:` (two-space path keys, four-space methods).
    static func documentedRoutes() throws -> Set<String> {
        let text = try String(contentsOfFile: documentPath, encoding: .utf8)
        var routes = Set<String>(), path: String?, inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line == "paths:"; path = nil; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast()).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.dropFirst(4).prefix { $0 != ":" }
                if ["get", "post", "put", "patch", "delete", "head"].contains(String(key)) { routes.insert("\(key.uppercased()) \(path)") }
            }
        }
        return routes
    }

    @Test func everyRegisteredRouteIsDocumentedAndNothingElse() throws {
        let registered = try Self.registeredRoutes(), documented = try Self.documentedRoutes()
        #expect(registered.count > 40, "the router was not built: \(registered)")
        let missing = registered.subtracting(documented).sorted()
        #expect(missing.isEmpty, """
            docs/openapi.yaml lacks \(missing.count) route(s) the service registers: \(missing.joined(separator: ", ")). \
            Add each under `paths:` (path with {param} for :param, then the lower-case method), e.g. after \
            merging main with new route groups (the dashboard's and audit's routes), describe them there.
            """)
        let stale = documented.subtracting(registered).sorted()
        #expect(stale.isEmpty, "docs/openapi.yaml describes route(s) the service does not register: \(stale.joined(separator: ", "))")
    }
}
