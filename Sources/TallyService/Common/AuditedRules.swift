import Hummingbird
import TallyCore
import TallyWire

/// What the hashmap and pyscripts APIs share about rules kept in the rule log: a write is
/// one event authored by the caller (an admin: CloudKitty's `rating:module_config` policy),
/// and a listing takes CloudKitty 23's audit filters.
enum AuditedRules {
    /// Publishes what `plan` makes of the state as one event authored by the caller; returns
    /// the state that includes it. Rejections become CloudKitty's codes.
    static func write(_ rules: RuleLogView, _ context: TallyRequestContext, reason: String, force: Bool,
                      plan: @escaping @Sendable (RuleLogState, EventTime) throws -> [PlannedRuleChange]) async throws -> RuleLogState {
        let author = try context.admin().name
        do {
            return try await rules.write(author: author, reason: reason, force: force) { state, now in
                let changes = try plan(state, now)
                guard !changes.isEmpty else { throw APIError.badRequest("nothing to change") }
                return changes
            }
        } catch let rejection as RuleEventRejection {
            throw APIError.from(rejection)
        }
    }
}

/// A rule as an API lists it, with what CloudKitty 23's audit filters look at.
protocol AuditedRule {
    var validity: RuleValidity { get }
    var deleted: Bool { get }
    var created: RuleAuditEntry? { get }
    var updated: RuleAuditEntry? { get }
    var deletedBy: RuleAuditEntry? { get }
    /// What `?description=` matches.
    var auditDescription: String? { get }
}

extension Array where Element: AuditedRule {
    /// CloudKitty 23's audit filters: deleted rules only with `deleted=true` (only them) or
    /// `all=true` (every rule); `is_active` at `now`; who created, updated or deleted; the
    /// description.
    func auditFiltered(by request: Request, now: EventTime) throws -> [Element] {
        var rules = self
        if !(try request.queryFlag("all") ?? false) {
            let deleted = try request.queryFlag("deleted") ?? false
            rules = rules.filter { $0.deleted == deleted }
        }
        if let active = try request.queryFlag("is_active") {
            rules = rules.filter { (!$0.deleted && $0.validity.contains(now)) == active }
        }
        if let who = request.query("created_by") { rules = rules.filter { $0.created?.author == who } }
        if let who = request.query("updated_by") { rules = rules.filter { $0.updated?.author == who } }
        if let who = request.query("deleted_by") { rules = rules.filter { $0.deletedBy?.author == who } }
        if let text = request.query("description") { rules = rules.filter { $0.auditDescription == text } }
        return rules
    }
}
