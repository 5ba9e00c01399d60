import HTTPTypes
import Hummingbird

/// The dashboard (docs/DASHBOARD.md): server-rendered pages at `/?page=…` for browsers.
/// `/` is also CloudKitty's version document, the one path a request may reach without a
/// token, so the dashboard is a middleware on it: a browser (Accept: text/html) or any
/// `?page=` request gets a page; API clients still get the version document.
/// Who is looking: with `noauth` an admin; with tokens, the token given once as `?token=`
/// (then kept in a cookie) or the `tally_token` cookie; without one, a sign-in form.
struct DashboardMiddleware: RouterMiddleware {
    typealias Context = TallyRequestContext
    let service: ServiceContext
    let rules: RuleLogView
    let tokens: TokenTable?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get, request.uri.path == "/" else { return try await next(request, context) }
        let wantsHTML = request.headers[.accept]?.contains("text/html") ?? false
        guard let page = request.query("page") ?? (wantsHTML ? "overview" : nil) else { return try await next(request, context) }
        let presented = request.query("token")
        guard let principal = try principal(presented ?? Self.cookie(request, "tally_token")) else {
            return HTMLPage.signIn(failed: presented != nil)
        }
        var response = try await render(page, request: request, principal: principal)
        if let presented {
            // Not HttpOnly: the impact page's script sends it as the bearer token of its API calls.
            response.headers[.setCookie] = "tally_token=\(presented); Path=/; SameSite=Strict"
        }
        return response
    }

    private func render(_ page: String, request: Request, principal: Principal) async throws -> Response {
        do {
            switch page {
            case "overview": return try OverviewPage.render(request, principal: principal, service: service)
            case "project": return try ProjectPage.render(request, principal: principal, service: service)
            case "rules": return try await RuleLogPage.render(request, principal: principal, service: service, rules: rules)
            case "trace": return try await TracePage.render(request, principal: principal, service: service)
            case "impact": return try await ImpactPage.render(request, principal: principal, rules: rules)
            default: throw APIError.notFound("there is no dashboard page '\(page)'")
            }
        } catch let error as APIError {
            return HTMLPage.error(error.status, error.message, principal: principal)
        } catch let error as HTTPError {
            return HTMLPage.error(error.status, error.body ?? "\(error)", principal: principal)
        }
    }

    private func principal(_ token: String?) throws -> Principal? {
        guard let tokens else { return .noauth }
        guard let token, !token.isEmpty else { return nil }
        return try tokens.principal(for: token)
    }

    static func cookie(_ request: Request, _ name: String) -> String? {
        guard let header = request.headers[.cookie] else { return nil }
        for pair in header.split(separator: ";") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == name { return String(parts[1]) }
        }
        return nil
    }
}

enum DashboardRoutes {
    /// Registered before every route (Hummingbird applies a middleware to the routes added
    /// after it). The pages read the rule log from the service's follower; the writes of the
    /// impact page go through the API.
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext) {
        let rules = service.rules
        let tokens: TokenTable? = switch service.config.apiAuth {
        case .noauth: nil
        case .token: TokenTable(store: TokenStore(path: service.config.tokensFile))
        }
        router.add(middleware: DashboardMiddleware(service: service, rules: rules, tokens: tokens))
    }
}
