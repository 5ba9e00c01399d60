import Hummingbird

/// Sets the caller of every request before any route runs. `noauth` makes every caller an
/// admin (CloudKitty's noauth strategy); `token` is served by the bearer-token authenticator.
/// Routes never see a request whose caller is unknown: they call `context.caller()`.
struct NoAuthMiddleware: RouterMiddleware {
    typealias Context = TallyRequestContext
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.principal = .noauth
        return try await next(request, context)
    }
}

extension TallyRequestContext {
    /// The authenticated caller; 401 if authentication did not establish one.
    public func caller() throws -> Principal {
        guard let principal else { throw HTTPError(.unauthorized, message: "Authentication required.") }
        return principal
    }

    /// The caller, who must be an admin (403 otherwise, as CloudKitty's `role:admin` policies).
    public func admin() throws -> Principal {
        let principal = try caller()
        guard principal.isAdmin else { throw HTTPError(.forbidden, message: "Access was denied to this resource.") }
        return principal
    }
}
