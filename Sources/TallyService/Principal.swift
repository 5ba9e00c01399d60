/// Who is calling the API, as authentication established it.
public struct Principal: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable { case admin, reader }

    /// The name recorded as the author of rule events written through the API.
    public var name: String
    public var role: Role
    /// The projects (scopes) a reader may see; ignored for admins, who see every project.
    public var projects: Set<String>

    public init(name: String, role: Role, projects: Set<String> = []) {
        self.name = name
        self.role = role
        self.projects = projects
    }

    /// CloudKitty's noauth strategy: every context is an admin, and audit fields say "unknown".
    public static let noauth = Principal(name: "unknown", role: .admin)

    public var isAdmin: Bool { role == .admin }

    /// Whether this caller may see the data of `project`.
    public func maySee(project: String) -> Bool { isAdmin || projects.contains(project) }
}
