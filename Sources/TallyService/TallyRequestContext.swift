import Hummingbird

/// The per-request context of `tally serve`: Hummingbird's core storage plus who is calling.
/// The authentication middleware fills `principal`; handlers read it to enforce roles and to
/// limit a reader to their own projects.
public struct TallyRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// nil until authentication has run; with `api.auth: noauth` every caller is `Principal.noauth`.
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
    }
}
