import Hummingbird
import TallyCore

/// What differs between the hashmap's three declarations (services, fields, groups) as the
/// API routes them; `HashmapDeclarationRoutes.register(_:on:api:)` does the rest, the same
/// for all three: list, get, create, delete by path or by body id.
struct HashmapDeclarationKind: Sendable {
    typealias Declaration = HashmapCatalog.Declaration

    /// What a create asks for: its name, the rule changes, and how to find the result once folded.
    struct Creation: Sendable {
        var name: String
        var plan: @Sendable (HashmapCatalog, EventTime) throws -> [PlannedRuleChange]
        var find: @Sendable (HashmapCatalog) -> Declaration?
    }

    /// "service": in messages and rule-event reasons.
    var singular: String
    /// "services": the path and the list's key.
    var plural: String
    /// "service_id": where a DELETE without an id in its path names it.
    var idKey: String
    var live: @Sendable (HashmapCatalog) -> [Declaration]
    var lookup: @Sendable (HashmapCatalog, String) -> Declaration?
    var json: @Sendable (HashmapCatalog, Declaration) -> CanonicalJSON
    /// Narrows the list by query parameters (fields: `service_id`).
    var filter: @Sendable (Request, HashmapCatalog, [Declaration]) throws -> [Declaration] = { _, _, all in all }
    var creation: @Sendable (JSONBody) throws -> Creation
    /// Whether a delete takes `recursive` (query or body), passed on to `deletion`.
    var takesRecursive = false
    /// The rule changes of deleting one (cascades as CloudKitty's).
    var deletion: @Sendable (HashmapCatalog, Declaration, EventTime, _ recursive: Bool) throws -> [PlannedRuleChange]

    /// The live declaration with this API id, or 404.
    func live(_ catalog: HashmapCatalog, _ id: String) throws -> Declaration {
        guard let found = lookup(catalog, id), catalog.isLive(found) else { throw APIError.notFound("No such \(singular): \(id)") }
        return found
    }
}
