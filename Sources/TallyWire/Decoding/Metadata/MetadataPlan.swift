/// Where a metadata value is looked up in a sample.
public struct MetadataPath: Sendable, Hashable, CustomStringConvertible {
    public enum Root: Sendable, Hashable {
        /// Inside the sample's metadata object (`resource_metadata` for Ceilometer,
        /// `metadata` for native samples and CloudEvents data).
        case metadata
        /// A top-level field of the sample itself (e.g. `project_name`, `source`).
        case sample
    }

    public var root: Root
    /// Object keys to follow, outermost first; never empty.
    public var components: [String]

    public init(root: Root, components: [String]) {
        precondition(!components.isEmpty, "a metadata path needs at least one key")
        self.root = root
        self.components = components
    }

    /// The configuration spelling: `flavor.name` is the key `name` inside the metadata
    /// object `flavor`; a leading `@` (`@project_name`) addresses the sample's top level.
    /// Keys that themselves contain dots cannot be addressed.
    public init(parsing text: String) {
        var body = Substring(text)
        var root = Root.metadata
        if body.first == "@" {
            root = .sample
            body = body.dropFirst()
        }
        self.init(root: root, components: body.split(separator: ".", omittingEmptySubsequences: false).map(String.init))
    }

    public var description: String {
        (root == .sample ? "@" : "") + components.joined(separator: ".")
    }
}

/// One metadata key the engine needs, and where to find it: the first alternative
/// present in the sample wins (e.g. `flavor_name` ← `flavor_name`, `flavor.name`,
/// `instance_type`, because Ceilometer places the flavor differently in polled and
/// notification samples).
public struct MetadataKeySpec: Sendable, Hashable {
    public var name: String
    public var alternatives: [MetadataPath]

    public init(name: String, alternatives: [MetadataPath]) {
        precondition(!alternatives.isEmpty, "metadata key '\(name)' needs at least one path")
        self.name = name
        self.alternatives = alternatives
    }

    /// `alternatives` in the configuration spelling (see `MetadataPath(parsing:)`);
    /// nil means the key's own name is its only path.
    public init(_ name: String, alternatives: [String]? = nil) {
        self.init(name: name, alternatives: (alternatives ?? [name]).map(MetadataPath.init(parsing:)))
    }
}

/// The metadata keys a decoder extracts, in slot order: `DecodedSample.metadata[i]`
/// holds the value of `keys[i]`. Build one from the union of the keys all metrics use.
///
/// The paths are compiled into a trie of object keys, so the decoder walks the metadata
/// object once, descends only into objects a path goes through, and skips every value
/// no key needs. Immutable, so it may be shared between decoders.
public final class MetadataPlan: @unchecked Sendable {  // immutable after init
    public let keys: [MetadataKeySpec]
    let trie: PathTrie

    /// Fails if two specs have the same name.
    public init(keys: [MetadataKeySpec]) throws(MetadataPlanError) {
        var seen = Set<String>()
        for key in keys where !seen.insert(key.name).inserted { throw .duplicateKey(key.name) }
        self.keys = keys
        trie = PathTrie(keys)
    }

    /// A plan that extracts nothing.
    public static let empty = try! MetadataPlan(keys: [])

    public var count: Int { keys.count }

    /// The slot of the key called `name`.
    public func slot(named name: String) -> Int? {
        keys.firstIndex { $0.name == name }
    }
}

public enum MetadataPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    case duplicateKey(String)

    public var description: String {
        switch self {
        case let .duplicateKey(name): "metadata key '\(name)' is listed twice in the plan"
        }
    }
}
