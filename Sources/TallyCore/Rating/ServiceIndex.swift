/// One service's hashmap rules in force for one (epoch, scope), laid out for rating
/// without reference counting: every table is a buffer of trivial values owned by this
/// immutable object (freed in `deinit`), and texts are bytes in one arena.
///
/// A tenant's index is an *overlay* on the epoch's global index (`base`): it holds only
/// what the tenant's own rules change (the merged runs of the values it prices, merged
/// service rules and threshold lists) and reads everything else from `base`. Compiling a
/// tenant therefore costs its own rules, not the book's, and windows of many tenants
/// share the global tables in cache. Group and rule numbers continue the base's.
final class ServiceIndex {
    /// A field with rules, in declaration order (the matching order).
    struct Field {
        var name: Range<Int32>                            // in `text`
        var nameWord: UInt64                              // `ByteText.prefixWord` of the name
        var slots: Range<Int32>                           // own value hash table (empty: none)
        var baseField: Int32                              // in `base.fields` (−1: none)
        var hasMappings: Bool                             // own or base values exist
        var thresholds: UnsafeBufferPointer<CompiledThreshold>
        var number: Int32                                 // in `fieldNames`
    }

    /// A value's hash-table slot: the value text and its run of mappings.
    struct Slot {
        var hash: UInt64 = 0
        var key: Range<Int32> = 0..<0     // in `text`
        var run: Range<Int32> = 0..<0     // in `mappings`
        var used = false
    }

    /// The buffers matching reads, as a trivial value: the per-window loop holds this
    /// rather than the object, so reading a table costs no reference counting.
    struct Tables {
        var fields: UnsafeMutableBufferPointer<Field>
        var slots: UnsafeMutableBufferPointer<Slot>
        var mappings: UnsafeMutableBufferPointer<CompiledMapping>
        var text: UnsafeMutableRawBufferPointer
        var serviceMappings: UnsafeBufferPointer<CompiledMapping>
        var serviceThresholds: UnsafeBufferPointer<CompiledThreshold>

        static let empty = Tables(fields: .init(start: nil, count: 0), slots: .init(start: nil, count: 0),
                                  mappings: .init(start: nil, count: 0), text: .init(start: nil, count: 0),
                                  serviceMappings: .init(start: nil, count: 0), serviceThresholds: .init(start: nil, count: 0))

        @inline(__always) func bytes(_ range: Range<Int32>) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: text[Int(range.lowerBound)..<Int(range.upperBound)])
        }

        /// The run of `value` in the value table `table` of these tables.
        @inline(__always) func ownRun(_ table: Range<Int32>, value: UnsafeRawBufferPointer, hash h: UInt64) -> UnsafeBufferPointer<CompiledMapping>? {
            let size = table.count
            if size == 0 { return nil }
            var i = Int(truncatingIfNeeded: h) & (size - 1)
            while true {
                let slot = slots[Int(table.lowerBound) + i]
                if !slot.used { return nil }
                if slot.hash == h && ByteText.equal(bytes(slot.key), value) {
                    return UnsafeBufferPointer(rebasing: mappings[Int(slot.run.lowerBound)..<Int(slot.run.upperBound)])
                }
                i = (i + 1) & (size - 1)
            }
        }
    }

    /// This index's tables and its base's (`Tables.empty` without a base), with what a
    /// window's run needs besides: it lives at the start of the index's one allocation,
    /// before the tables it points to, and the per-window path holds a pointer to it, so
    /// pricing a window reads neither the object nor a separate block (which matters when
    /// windows of thousands of tenants, each with its overlay, interleave).
    struct Lookup {
        var own: Tables
        var base: Tables
        /// Groups numbered across base and overlay; `own.fields.count` fields.
        var groupCount: Int
        /// The index these tables belong to (names for explanations and failures).
        var owner: Unmanaged<ServiceIndex>?

        /// The mappings of `field` whose value text is `value`: the overlay's merged run
        /// if it has one, else the base's.
        @inline(__always) func run(_ field: Field, value: UnsafeRawBufferPointer) -> UnsafeBufferPointer<CompiledMapping>? {
            let h = ByteText.hash(value)
            if let found = own.ownRun(field.slots, value: value, hash: h) { return found }
            guard field.baseField >= 0 else { return nil }
            return base.ownRun(base.fields[Int(field.baseField)].slots, value: value, hash: h)
        }
    }

    let base: ServiceIndex?
    /// Groups and rules numbered across base and overlay: base's first.
    let groupCount: Int
    let ruleCount: Int
    let groupNumbers: [String?: Int32]
    private let ownGroupNames: [String?]
    private let ownRuleIDs: [String]
    let fieldNames: [String]
    let serviceMappings: UnsafeBufferPointer<CompiledMapping>
    let serviceThresholds: UnsafeBufferPointer<CompiledThreshold>
    let fields: UnsafeMutableBufferPointer<Field>
    private let mappings: UnsafeMutableBufferPointer<CompiledMapping>
    private let thresholds: UnsafeMutableBufferPointer<CompiledThreshold>
    private let slots: UnsafeMutableBufferPointer<Slot>
    private let text: UnsafeMutableRawBufferPointer

    init(_ b: ServiceIndexBuilder) {
        base = b.base
        groupCount = (b.base?.groupCount ?? 0) + b.groupNames.count
        ruleCount = (b.base?.ruleCount ?? 0) + b.ruleIDs.count
        groupNumbers = b.groupNumbers
        ownGroupNames = b.groupNames
        ownRuleIDs = b.ruleIDs
        fieldNames = b.fields.map(\.name)
        // Every table in one allocation, in the order matching reads them: a tenant's
        // overlay is a few adjacent cache lines, not five blocks scattered over the heap.
        var size = 0
        func reserve<T>(_: T.Type, _ count: Int) -> Int {
            let at = (size + 15) & ~15
            size = at + MemoryLayout<T>.stride * count
            return at
        }
        let lookupAt = reserve(Lookup.self, 1)
        let fieldsAt = reserve(Field.self, b.fields.count), mappingsAt = reserve(CompiledMapping.self, b.mappings.count)
        let thresholdsAt = reserve(CompiledThreshold.self, b.thresholds.count), slotsAt = reserve(Slot.self, b.slots.count)
        let textAt = reserve(UInt8.self, b.text.count)
        storage = .allocate(byteCount: max(size, 16), alignment: 16)
        mappings = Self.place(b.mappings, in: storage + mappingsAt)
        thresholds = Self.place(b.thresholds, in: storage + thresholdsAt)
        slots = Self.place(b.slots, in: storage + slotsAt)
        text = UnsafeMutableRawBufferPointer(start: storage + textAt, count: b.text.count)
        text.copyBytes(from: b.text)
        let ownMappings = UnsafeBufferPointer(mappings), ownThresholds = UnsafeBufferPointer(thresholds)
        func resolve<T>(_ source: ServiceIndexBuilder.Source<T>, own: UnsafeBufferPointer<T>) -> UnsafeBufferPointer<T> {
            switch source {
            case .base(let buffer): return buffer
            case .own(let range): return UnsafeBufferPointer(rebasing: own[Int(range.lowerBound)..<Int(range.upperBound)])
            }
        }
        serviceMappings = resolve(b.serviceMappings, own: ownMappings)
        serviceThresholds = resolve(b.serviceThresholds, own: ownThresholds)
        fields = Self.place(b.fields.enumerated().map { i, f in
            Field(name: f.nameRange, nameWord: ByteText.prefixWord(of: f.name), slots: f.slots, baseField: f.baseField, hasMappings: f.hasMappings,
                  thresholds: resolve(f.thresholds, own: ownThresholds), number: Int32(i))
        }, in: storage + fieldsAt)
        let own = Tables(fields: fields, slots: slots, mappings: mappings, text: text,
                         serviceMappings: serviceMappings, serviceThresholds: serviceThresholds)
        lookupPointer = (storage + lookupAt).bindMemory(to: Lookup.self, capacity: 1)
        lookupPointer.initialize(to: Lookup(own: own, base: b.base?.lookup.own ?? .empty, groupCount: groupCount, owner: nil))
        var encoded: [UInt8] = []
        func encode(_ name: String?) -> Range<Int32> {
            let start = Int32(encoded.count)
            if let name { CanonicalJSON.writeString(name, into: &encoded) } else { encoded += Array("null".utf8) }
            return start..<Int32(encoded.count)
        }
        ownGroupText = b.groupNames.map(encode)
        ownRuleText = b.ruleIDs.map(encode)
        encodedNames = encoded
        lookupPointer.pointee.owner = Unmanaged.passUnretained(self)
    }

    /// Group names and rule ids as canonical JSON (quoted and escaped; a nil group as
    /// `null`), back to back, so an explanation copies them instead of encoding a `String`.
    private let encodedNames: [UInt8]
    private let ownGroupText: [Range<Int32>]
    private let ownRuleText: [Range<Int32>]

    /// Where `lookup` lives (in `storage`): windows read the tables through it.
    let lookupPointer: UnsafeMutablePointer<Lookup>
    var lookup: Lookup { lookupPointer.pointee }

    /// The tables' memory (trivial values only, so nothing to deinitialize).
    private let storage: UnsafeMutableRawPointer

    deinit { storage.deallocate() }

    /// `items` copied to `at` (aligned for `T` by the layout), as a buffer.
    private static func place<T>(_ items: [T], in at: UnsafeMutableRawPointer) -> UnsafeMutableBufferPointer<T> {
        let start = at.bindMemory(to: T.self, capacity: items.count)
        items.withUnsafeBufferPointer { if let source = $0.baseAddress { start.initialize(from: source, count: $0.count) } }
        return UnsafeMutableBufferPointer(start: start, count: items.count)
    }

    func groupName(_ g: Int) -> String? {
        let baseCount = base?.groupCount ?? 0
        return g < baseCount ? base!.groupName(g) : ownGroupNames[g - baseCount]
    }

    func ruleID(_ r: Int) -> String {
        let baseCount = base?.ruleCount ?? 0
        return r < baseCount ? base!.ruleID(r) : ownRuleIDs[r - baseCount]
    }

    /// Writes `groupName(g)` as canonical JSON (a string, or null for the default group).
    func writeGroupName(_ g: Int, to w: inout CanonicalWriter) {
        let baseCount = base?.groupCount ?? 0
        if g < baseCount { base!.writeGroupName(g, to: &w) } else { writeEncoded(ownGroupText[g - baseCount], to: &w) }
    }

    /// Writes `ruleID(r)` as a canonical JSON string.
    func writeRuleID(_ r: Int, to w: inout CanonicalWriter) {
        let baseCount = base?.ruleCount ?? 0
        if r < baseCount { base!.writeRuleID(r, to: &w) } else { writeEncoded(ownRuleText[r - baseCount], to: &w) }
    }

    private func writeEncoded(_ range: Range<Int32>, to w: inout CanonicalWriter) {
        encodedNames.withUnsafeBufferPointer { names in
            let source = names.baseAddress! + Int(range.lowerBound)
            w.withTail(range.count) { CanonicalWriter.copyShort(to: UnsafeMutableRawPointer($0), from: UnsafeRawPointer(source), range.count) }
        }
    }

    /// Every group name and rule id by number (tests and diagnostics).
    var groupNames: [String?] { (0..<groupCount).map(groupName) }
    var ruleIDs: [String] { (0..<ruleCount).map(ruleID) }

    /// The position of the field named `name` in `fields`.
    func fieldPosition(_ name: String) -> Int? { fieldNames.firstIndex(of: name) }

    func run(_ field: Field, value: UnsafeRawBufferPointer) -> UnsafeBufferPointer<CompiledMapping>? {
        lookup.run(field, value: value)
    }
}
