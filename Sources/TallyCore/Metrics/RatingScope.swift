/// Which sample field names the billed party of a metric's windows.
public enum RatingScope: String, Hashable, Sendable, CaseIterable {
    /// Per project (CloudKitty's default `scope_key`).
    case projectId = "project_id"
    /// Per user: rating per user within projects, which CloudKitty cannot do.
    case userId = "user_id"
}
