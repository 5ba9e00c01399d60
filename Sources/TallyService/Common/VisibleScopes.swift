import Hummingbird

/// Tenant isolation for every read: which scopes a caller's query may touch. An admin sees
/// every scope (or the one asked for); a reader only their own projects, whatever they ask —
/// CloudKitty force-filters non-admins to their project the same way. `nil` means all scopes.
enum VisibleScopes {
    static func of(_ principal: Principal, asked: Set<String>? = nil) -> Set<String>? {
        if principal.isAdmin { return asked }
        guard let asked else { return principal.projects }
        return asked.intersection(principal.projects)
    }
}
