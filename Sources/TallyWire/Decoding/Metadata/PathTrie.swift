/// The compiled form of a `MetadataPlan`: a trie whose edges are object keys. Node 0
/// is the metadata object, node 1 the sample's top level. A node has *targets* (the
/// plan slots whose path ends there, each with the rank of that path among the slot's
/// alternatives; lower wins) and children (keys to descend into when the value is an
/// object). Owns its memory; decoders use `view`, which holds only pointers.
final class PathTrie: @unchecked Sendable {  // immutable after init
    struct Target {
        var slot: Int
        var rank: Int
    }

    let view: PathTrieView
    private let componentTable: ByteKeyTable
    private let children: UnsafeMutablePointer<Int>
    private let targetRanges: UnsafeMutablePointer<Range<Int>>
    private let targets: UnsafeMutablePointer<Target>
    private let parents: UnsafeMutablePointer<Bool>

    static let metadataRoot = 0
    static let sampleRoot = 1

    init(_ keys: [MetadataKeySpec]) {
        var componentIDs: [String: Int] = [:]
        var componentList: [String] = []
        var edges: [[Int: Int]] = [[:], [:]]  // per node: component → child node
        var nodeTargets: [[Target]] = [[], []]
        for (slot, spec) in keys.enumerated() {
            for (rank, path) in spec.alternatives.enumerated() {
                var node = path.root == .metadata ? PathTrie.metadataRoot : PathTrie.sampleRoot
                for component in path.components {
                    let id = componentIDs[component] ?? {
                        componentList.append(component)
                        componentIDs[component] = componentList.count - 1
                        return componentList.count - 1
                    }()
                    if let child = edges[node][id] {
                        node = child
                    } else {
                        edges.append([:])
                        nodeTargets.append([])
                        edges[node][id] = edges.count - 1
                        node = edges.count - 1
                    }
                }
                nodeTargets[node].append(Target(slot: slot, rank: rank))
            }
        }
        let nodeCount = edges.count
        let componentCount = componentList.count
        componentTable = ByteKeyTable(componentList)
        children = .allocate(capacity: max(1, nodeCount * componentCount))
        children.initialize(repeating: -1, count: max(1, nodeCount * componentCount))
        for (node, map) in edges.enumerated() {
            for (component, child) in map { children[node * componentCount + component] = child }
        }
        parents = .allocate(capacity: nodeCount)
        for (node, map) in edges.enumerated() { parents[node] = !map.isEmpty }
        targetRanges = .allocate(capacity: nodeCount)
        let flatTargets = nodeTargets.flatMap { $0 }
        targets = .allocate(capacity: max(1, flatTargets.count))
        targets.initialize(from: flatTargets, count: flatTargets.count)
        var start = 0
        for node in 0..<nodeCount {
            targetRanges[node] = start..<(start + nodeTargets[node].count)
            start += nodeTargets[node].count
        }
        view = PathTrieView(components: componentTable.index, componentCount: componentCount,
                            children: UnsafePointer(children), parents: UnsafePointer(parents), targetRanges: UnsafePointer(targetRanges),
                            targets: UnsafePointer(targets))
    }

    deinit {
        children.deallocate()
        parents.deallocate()
        targetRanges.deallocate()
        targets.deallocate()
    }
}

/// Pointer-only access to a `PathTrie`; valid while the trie is alive.
struct PathTrieView {
    let components: ByteKeyIndex
    let componentCount: Int
    let children: UnsafePointer<Int>
    /// Whether each node has children (one load, not a scan of its row per captured value).
    let parents: UnsafePointer<Bool>
    let targetRanges: UnsafePointer<Range<Int>>
    let targets: UnsafePointer<PathTrie.Target>

    /// The child of `node` reached by the object key `key`, or -1.
    @inline(__always)
    func child(of node: Int, key: UnsafeRawBufferPointer) -> Int {
        guard componentCount > 0 else { return -1 }
        let component = components.lookup(key)
        return component < 0 ? -1 : children[node * componentCount + component]
    }

    /// Whether any key descends below `node`.
    @inline(__always)
    func hasChildren(_ node: Int) -> Bool { parents[node] }

    @inline(__always)
    func targetRange(of node: Int) -> Range<Int> { targetRanges[node] }
}
