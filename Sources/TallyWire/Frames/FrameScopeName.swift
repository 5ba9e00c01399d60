/// The human name of a frame's scope, from its parsed JSON object: `project_name` or
/// `scope_name`, looked up in `groupby` first, then `metadata` (the first non-empty wins).
/// One rule for the report's ledger and the service's index, so both name scopes alike.
public enum FrameScopeName {
    public static func of(_ object: [String: Any]) -> String? {
        for section in ["groupby", "metadata"] {
            let members = object[section] as? [String: Any] ?? [:]
            for key in ["project_name", "scope_name"] {
                if let name = members[key] as? String, !name.isEmpty { return name }
            }
        }
        return nil
    }
}
