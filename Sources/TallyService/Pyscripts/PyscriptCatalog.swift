import TallyCore
import TallyCrypto

/// CloudKitty's pyscripts as Tally keeps them: each script is a `script` rule of the rule
/// log (Tally's script module runs Lua 5.4, docs/SCRIPTS.md), named by its rule id. One
/// entry per incarnation, with the API id derived from the name and the creating event (as
/// hashmap rules), the validity, audit fields and the soft-delete mark.
struct PyscriptCatalog {
    /// Event reasons the API writes when the caller gives no description; such a reason is
    /// not shown as the script's description (CloudKitty answers `null` then).
    static let createdWithoutDescription = "pyscript created through the API"
    static let updatedWithoutDescription = "pyscript updated through the API"
    static let deletedThroughTheAPI = "pyscript deleted through the API"
    static let generatedReasons: Set<String> = [createdWithoutDescription, updatedWithoutDescription, deletedThroughTheAPI]

    struct Script: AuditedRule {
        var apiID: String
        var name: String
        var source: String
        var validity: RuleValidity
        var deleted: Bool
        var created: RuleAuditEntry?
        var updated: RuleAuditEntry?
        var deletedBy: RuleAuditEntry?
        /// The reason of the latest create or update that was given one by its author.
        var description: String?

        var started: Bool { true }
        var auditDescription: String? { description }
    }

    var scripts: [Script] = []
    let now: EventTime

    init(state: RuleLogState, now: EventTime) {
        self.now = now
        for target in state.itemTargets {
            guard case .rule(.script, let name) = target else { continue }
            for history in state.history(of: target) {
                let current = history.current
                guard case .script(let script) = current.item else { continue }
                let writes = history.audit.filter { $0.operation != "delete" }
                scripts.append(Script(
                    apiID: DerivedID.uuid("pyscript", name, history.audit.first?.eventID ?? ""), name: name,
                    source: script.source, validity: current.validity, deleted: current.deleted,
                    created: history.audit.first, updated: writes.dropFirst().last,
                    deletedBy: current.deleted ? history.audit.last { $0.operation == "delete" } : nil,
                    description: writes.last { !Self.generatedReasons.contains($0.reason) }?.reason))
            }
        }
    }

    func script(apiID: String) -> Script? { scripts.last { $0.apiID == apiID } }

    /// CloudKitty's script object. Dates are naive UTC, as CloudKitty prints them.
    func json(_ s: Script, withData: Bool = true) -> CanonicalJSON {
        var members: [String: CanonicalJSON] = [
            "script_id": .string(s.apiID), "name": .string(s.name), "checksum": .string(SHA512.hex(s.source)),
            "start": Self.time(s.validity.start == .distantPast ? nil : s.validity.start),
            "end": Self.time(s.validity.end),
            "description": s.description.map(CanonicalJSON.string) ?? .null,
            "created_at": Self.time(s.created?.recordedAt), "created_by": Self.text(s.created?.author),
            "updated_at": Self.time(s.updated?.recordedAt), "updated_by": Self.text(s.updated?.author),
            "deleted": Self.time(s.deletedBy?.recordedAt), "deleted_by": Self.text(s.deletedBy?.author),
        ]
        if withData { members["data"] = .string(s.source) }
        return .object(members)
    }

    static func time(_ t: EventTime?) -> CanonicalJSON { APIDate.naive(t) }

    static func text(_ s: String?) -> CanonicalJSON { s.map(CanonicalJSON.string) ?? .null }
}
