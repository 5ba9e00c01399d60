/// The member keys of the last sample object a decoder read in one format and quoting, as
/// the exact bytes `JSONScanner.nextMember` consumed for each (separator, quoted key,
/// colon, whitespace), with what the key matched (schema field, plan node).
///
/// Samples from one source write their keys in the same order, so the next object's next
/// member usually starts with the same bytes: `ShapeFollower` compares them at the cursor
/// and, on a match, steps over them and takes the key's field and node without reading,
/// fingerprinting or matching the key. Equal bytes are the same key read the same way:
/// `nextMember`'s steps depend only on the bytes it consumes (and, for its trailing
/// whitespace, on bytes the follower skips the same way), and only keys without escapes
/// are kept, whose raw bytes are their text. The keys of one shape are distinct (each was
/// checked against the keys before it in its object), so an object that follows the shape
/// cannot repeat a key: the repeated-key check is needed only once it leaves the shape,
/// and is then given the keys followed so far before anything else (`ShapeFollower.leave`).
/// Memory is fixed (`maxMembers`, `maxBytes`); a longer object is followed as far as kept.
///
/// For a member the decoder only skips (no schema field, no plan node), the shape also
/// keeps the value it last skipped there when that was a short string or `null`/`true`/
/// `false` (`ShapeFollower.skipValue`): such values repeat from sample to sample (`source`,
/// `user_name`, `project_name`, `monotonic_time`), and equal bytes at the cursor are
/// stepped over without scanning them. Equal bytes are the same value skipped the same way:
/// a string ends at its closing quote and a literal after its letters, so the scan reads
/// no byte past them, and they hold no keys for the repeated-key check. Numbers are not
/// kept (where one ends depends on the byte after it), nor containers (their keys must be
/// noted), nor long strings (signatures, ids: unique per sample, so comparing and keeping
/// them again would cost at every sample and never save).
struct MemberShape {
    struct Member {
        /// Where its bytes start in `bytes`, and how many.
        var offset: Int32
        var length: Int32
        /// Where the key's contents start within those bytes, and their length.
        var keyOffset: Int32
        var keyLength: Int32
        /// `SampleSchema.Field.rawValue`, or -1 for a member the schema does not read.
        var field: Int32
        /// The plan's trie node for the key under `PathTrie.sampleRoot`, or -1.
        var node: Int32
    }

    static let maxMembers = 64
    static let maxBytes = 4096
    /// Longer member bytes (long keys, much whitespace) end the shape.
    static let maxMemberBytes = 256
    /// Longest skipped value kept per member (`values`): `"openstack"`, a project's name,
    /// `null`; not a 64-digit signature.
    static let maxValueBytes = 48

    let members: UnsafeMutablePointer<Member>
    let bytes: UnsafeMutablePointer<UInt8>
    /// Per member, where its key's contents started in the object being read (for the
    /// repeated-key check, should the object leave the shape).
    let keyStarts: UnsafeMutablePointer<Int>
    /// Per member, `maxValueBytes` bytes: the value last skipped there, as read.
    let values: UnsafeMutablePointer<UInt8>
    /// Per member, the length of its kept value, 0 when none is kept.
    let valueLengths: UnsafeMutablePointer<Int>
    var count = 0
    var byteCount = 0
    /// Objects that went another way than the shape before their end (counted on that slow
    /// path only), and members read the general way after that: for tests and reports.
    var departures = 0
    var membersRead = 0

    init() {
        members = .allocate(capacity: Self.maxMembers)
        bytes = .allocate(capacity: Self.maxBytes)
        keyStarts = .allocate(capacity: Self.maxMembers)
        values = .allocate(capacity: Self.maxMembers * Self.maxValueBytes)
        valueLengths = .allocate(capacity: Self.maxMembers)
    }

    func deallocate() {
        members.deallocate()
        bytes.deallocate()
        keyStarts.deallocate()
        values.deallocate()
        valueLengths.deallocate()
    }

    /// Keeps the member `nextMember` read from `entry` to the scanner's position; false when
    /// it cannot be kept (escapes in the key, or no room), which ends the shape there.
    mutating func append(from entry: Int, key: JSONStringSpan, field: Int, node: Int, in scanner: JSONScanner) -> Bool {
        let length = scanner.position - entry
        guard !key.hasEscapes, count < Self.maxMembers, length <= Self.maxMemberBytes,
              byteCount + length <= Self.maxBytes else { return false }
        (bytes + byteCount).update(from: scanner.base + entry, count: length)
        members[count] = Member(offset: Int32(byteCount), length: Int32(length),
                                keyOffset: Int32(key.range.lowerBound - entry), keyLength: Int32(key.range.count),
                                field: Int32(field), node: Int32(node))
        valueLengths[count] = 0
        byteCount += length
        count += 1
        return true
    }

    /// Forgets the members from `index` on (the object read now goes another way there).
    mutating func truncate(to index: Int) {
        guard index < count else { return }
        count = index
        byteCount = index == 0 ? 0 : Int(members[index - 1].offset + members[index - 1].length)
    }
}

/// One decoder's shapes: one per sample format (`SampleSchema.shapeKind`) and quoting,
/// since the bytes of a key differ between plain JSON and JSON read in place, and one
/// per quoting for Ceilometer's notification object around the samples. Not thread-safe.
final class MemberShapes {
    static let kinds = 4
    /// The kind of the notification's shape (after the sample formats' kinds).
    static let notificationKind = 3
    let shapes: UnsafeMutablePointer<MemberShape>

    init() {
        shapes = .allocate(capacity: Self.kinds * 2)
        for i in 0..<Self.kinds * 2 { (shapes + i).initialize(to: MemberShape()) }
    }

    deinit {
        for i in 0..<Self.kinds * 2 { shapes[i].deallocate() }
        shapes.deallocate()
    }

    @inline(__always)
    func shape<Q: JSONQuoting>(_ kind: Int, _: Q.Type) -> UnsafeMutablePointer<MemberShape> {
        shapes + kind * 2 + (Q.isEscaped ? 1 : 0)
    }
}

/// Follows one object's members along a `MemberShape` and teaches the shape the object's
/// own keys where it goes another way. Used by `DecoderState.readSample`:
/// `follow` before each member; when it returns nil, `leave`, then the general
/// `nextMember`, then `learn`.
struct ShapeFollower {
    private let shape: UnsafeMutablePointer<MemberShape>
    /// The shape's buffers, copied in: they do not change while the object follows the
    /// shape, and copies stay in registers where the shape's fields would be loaded again
    /// after every store.
    private let members: UnsafeMutablePointer<MemberShape.Member>
    private let bytes: UnsafePointer<UInt8>
    private let keyStarts: UnsafeMutablePointer<Int>
    private let values: UnsafeMutablePointer<UInt8>
    private let valueLengths: UnsafeMutablePointer<Int>
    /// How many of the shape's members are left to follow: 0 once the object has left it.
    private var remaining: Int
    /// Members followed so far.
    private var index = 0
    private var following: Bool
    private var learning: Bool
    private let enabled: Bool

    /// A follower that neither follows nor learns when `enabled` is false.
    init(_ shape: UnsafeMutablePointer<MemberShape>, enabled: Bool) {
        self.shape = shape
        members = shape.pointee.members
        bytes = UnsafePointer(shape.pointee.bytes)
        keyStarts = shape.pointee.keyStarts
        values = shape.pointee.values
        valueLengths = shape.pointee.valueLengths
        remaining = enabled ? shape.pointee.count : 0
        following = enabled
        learning = enabled
        self.enabled = enabled
    }

    /// The next member when the bytes at the scanner are the shape's next member's: the
    /// scanner is then at its value, as `nextMember` would leave it.
    @inline(__always)
    mutating func follow<Q: JSONQuoting>(_ scanner: inout JSONScanner, _: Q.Type) -> MemberShape.Member? {
        guard remaining > 0 else { return nil }
        let member = members[index]
        let start = scanner.position, length = Int(member.length)
        guard start + length <= scanner.count,
              bytesEqualOverlapping(scanner.base + start, bytes + Int(member.offset), length) else { return nil }
        keyStarts[index] = start + Int(member.keyOffset)
        index += 1
        remaining -= 1
        scanner.position = start + length
        scanner.skipWhitespace(Q.self)
        return member
    }

    /// Skips the value of the member `follow` just returned, which the decoder does not
    /// read: stepped over when the bytes at the scanner are the value kept for it (see
    /// `MemberShape`), otherwise skipped and kept for the next object.
    @inline(__always)
    mutating func skipFollowedValue<Q: JSONQuoting>(_ scanner: inout JSONScanner, _: Q.Type) throws(JSONSyntaxError) {
        let member = index - 1
        let start = scanner.position, kept = valueLengths[member]
        if kept > 0 && start + kept <= scanner.count
            && bytesEqualOverlapping(scanner.base + start, values + member * MemberShape.maxValueBytes, kept) {
            scanner.position = start + kept
            return
        }
        try scanner.skipValue(Q.self)
        keepValue(of: member, from: start, scanner)
    }

    /// Keeps the value just skipped from `start` for `member` when it is a string or a
    /// literal that fits, else forgets the one kept.
    @inline(never)
    private func keepValue(of member: Int, from start: Int, _ scanner: JSONScanner) {
        let length = scanner.position - start
        let first = scanner.base[start]
        // Skipped without error, so `"` or `\` starts a string and `n`, `t`, `f` a literal.
        let keepable = first == UInt8(ascii: "\"") || first == UInt8(ascii: "\\") || first == UInt8(ascii: "n")
            || first == UInt8(ascii: "t") || first == UInt8(ascii: "f")
        guard keepable && length <= MemberShape.maxValueBytes else {
            valueLengths[member] = 0
            return
        }
        (values + member * MemberShape.maxValueBytes).update(from: scanner.base + start, count: length)
        valueLengths[member] = length
    }

    /// Called when `follow` returned nil, before `nextMember`: unless the object ends here,
    /// it leaves the shape (which forgets the rest of its members), and the repeated-key
    /// check is given the keys followed so far, in order, as `nextMember` would have
    /// given them (they are distinct, so this cannot throw; what the next key finds is
    /// then what it would have found).
    @inline(__always)
    mutating func leave(_ scanner: JSONScanner) throws(JSONSyntaxError) {
        guard following else { return }
        if scanner.position < scanner.count && scanner.base[scanner.position] == UInt8(ascii: "}") { return }
        try leaveSlowly(scanner)
    }

    @inline(never)
    private mutating func leaveSlowly(_ scanner: JSONScanner) throws(JSONSyntaxError) {
        following = false
        remaining = 0
        shape.pointee.departures += 1
        shape.pointee.truncate(to: index)
        guard let keys = scanner.keys else { return }
        for i in 0..<index {
            let span = JSONStringSpan(range: keyStarts[i]..<(keyStarts[i] + Int(members[i].keyLength)), hasEscapes: false)
            try keys.note(span, in: scanner)
        }
    }

    /// Called after `nextMember` read `key` from `entry`: adds it to the shape (the object
    /// has left it, so the shape ends where the object's keys so far end).
    @inline(__always)
    mutating func learn(from entry: Int, key: JSONStringSpan, field: Int, node: Int, in scanner: JSONScanner) {
        guard enabled else { return }
        shape.pointee.membersRead += 1
        guard learning else { return }
        learning = shape.pointee.append(from: entry, key: key, field: field, node: node, in: scanner)
    }
}

/// Compares `n` bytes as words, the last one overlapping the one before (no byte loop);
/// below eight bytes, `bytesEqual`.
@inline(__always)
func bytesEqualOverlapping(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    guard n >= 8 else { return bytesEqual(a, b, n) }
    var i = 0
    while i + 8 < n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    return a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
}
