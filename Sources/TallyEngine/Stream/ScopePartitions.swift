import TallyCore

/// The frames partition of each scope: FNV-1a 32-bit of the scope id (the UTF-8 of the
/// `String` the frame carries) modulo the partition count (docs/FRAMES.md), hashed once per
/// scope symbol instead of once per closed window (~2% of the close phase).
struct ScopePartitions {
    /// By symbol id; -1 until computed.
    private var partitions: [Int32] = []

    /// The partition of `scope`, whose text `text` gives (asked the first time only).
    mutating func partition(of scope: Symbol, count: Int32, text: (Symbol) -> String) -> Int32 {
        let i = Int(scope.raw)
        if i < partitions.count, partitions[i] >= 0 { return partitions[i] }
        if i >= partitions.count { partitions.append(contentsOf: repeatElement(-1, count: i + 1 - partitions.count)) }
        let partition = ScopePartitions.partition(ofScope: text(scope), count: count)
        partitions[i] = partition
        return partition
    }

    static func partition(ofScope scope: String, count: Int32) -> Int32 {
        Int32(bitPattern: fnv1a(scope) % UInt32(count))
    }

    static func fnv1a(_ text: String) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in text.utf8 { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return h
    }
}
