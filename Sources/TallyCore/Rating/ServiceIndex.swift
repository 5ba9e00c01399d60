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
        /// `thresholds` reduced per interval of levels (nil without thresholds).
        var steps: UnsafePointer<ThresholdSteps>?
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

        /// The slot of `value` in the value table `table` of the tables at `t`: the value's
        /// id in that index's dictionary. Static over a pointer, like `Lookup.run`: a method
        /// on the value copied the tables per call.
        @inline(__always) static func slot(_ t: UnsafePointer<Tables>, _ table: Range<Int32>, value: UnsafeRawBufferPointer,
                                           hash h: UInt64) -> Int? {
            // Plain Int arithmetic on the table's bounds: `Range<Int32>.count` and a slice per
            // probe cost a dozen overflow and bounds checks each.
            let start = Int(table.lowerBound), mask = Int(table.upperBound) &- start &- 1
            if mask < 0 { return nil }
            let slots = UnsafePointer(t.pointee.slots.baseAddress!) + start
            let n = value.count
            var i = Int(truncatingIfNeeded: h) & mask
            while true {
                let slot = slots + i
                if !slot.pointee.used { return nil }
                if slot.pointee.hash == h {
                    let key = slot.pointee.key
                    if Int(key.upperBound) &- Int(key.lowerBound) == n
                        && (n == 0 || ByteText.memcmpBytes(t.pointee.text.baseAddress! + Int(key.lowerBound), value.baseAddress!, n)) {
                        return start + i
                    }
                }
                i = (i &+ 1) & mask
            }
        }

        /// The run of mappings of slot `slot` of the tables at `t`.
        @inline(__always) static func run(_ t: UnsafePointer<Tables>, of slot: Int) -> UnsafeBufferPointer<CompiledMapping> {
            let run = t.pointee.slots[slot].run
            return UnsafeBufferPointer(rebasing: t.pointee.mappings[Int(run.lowerBound)..<Int(run.upperBound)])
        }

        /// The run of `value` in the value table `table` of the tables at `t`.
        @inline(__always) static func ownRun(_ t: UnsafePointer<Tables>, _ table: Range<Int32>, value: UnsafeRawBufferPointer,
                                             hash h: UInt64) -> UnsafeBufferPointer<CompiledMapping>? {
            slot(t, table, value: value, hash: h).map { run(t, of: $0) }
        }
    }

    /// A shared-fields overlay's run for one of the base's values: an open-addressing table
    /// keyed by the base slot (slots are already spread by the values' hashes).
    struct Override {
        var slot: Int32 = -1
        var count: Int32 = 0
        var start: UnsafePointer<CompiledMapping>? = nil
    }

    /// This index's tables and its base's (`Tables.empty` without a base), with what a
    /// window's run needs besides: it lives at the start of the index's one allocation,
    /// before the tables it points to, and the per-window path holds a pointer to it, so
    /// pricing a window reads neither the object nor a separate block (which matters when
    /// windows of thousands of tenants, each with its overlay, interleave).
    struct Lookup {
        /// The first two cache lines (the allocation is line-aligned): everything a usual
        /// window reads of its own index; the rest it reads from the base's. The scope
        /// table keeps a copy of it per scope (`Front`).
        var front: Front
        /// A shared-fields overlay's runs by base slot, when they are not inline in `front`
        /// (empty otherwise).
        var overrides: UnsafeMutableBufferPointer<Override>
        /// The index these tables belong to (names for explanations and failures).
        var owner: Unmanaged<ServiceIndex>?
        var own: Tables
        /// The base's tables (a general overlay's fallback).
        var base: Tables

        /// `front` in place (it is the lookup's first member).
        @inline(__always) static func front(_ lookup: UnsafePointer<Lookup>) -> UnsafePointer<Front> {
            UnsafeRawPointer(lookup).assumingMemoryBound(to: Front.self)
        }

        /// The mappings of `field` whose value text is `value`: the overlay's merged run
        /// if it has one, else the base's. Static over the lookup's address, reading only
        /// the members it needs: a method on the lookup (`tables.pointee.run`) copied all
        /// of it (~250 bytes, a `memmove`) for every field of every window.
        /// `field` points into the fields of `lookup.matching`: reading it in place, not a
        /// copy of the whole `Field` per call.
        /// `front` is the lookup's `Front` or the scope table's copy of it: the lookup
        /// itself is read only for overrides that are not inline and a general overlay's base.
        @inline(__always) static func run(_ lookup: UnsafePointer<Lookup>, _ front: UnsafePointer<Front>, _ field: UnsafePointer<Field>,
                                          value: UnsafeRawBufferPointer) -> UnsafeBufferPointer<CompiledMapping>? {
            let h = ByteText.hash(value)
            let tables = front.pointee.matching.unsafelyUnwrapped
            if let slot = Tables.slot(tables, field.pointee.slots, value: value, hash: h) {
                if front.pointee.overrideFilter & (1 &<< UInt64(slot & 63)) != 0 {
                    if front.pointee.inlineCount >= 0 {
                        if let found = Front.inlineOverride(front, slot) { return found }
                    } else if let found = override(lookup.pointee.overrides, slot) { return found }
                }
                return Tables.run(tables, of: slot)
            }
            let baseField = Int(field.pointee.baseField)
            guard baseField >= 0 else { return nil }
            let base = (UnsafeRawPointer(lookup) + MemoryLayout<Lookup>.offset(of: \Lookup.base)!).assumingMemoryBound(to: Tables.self)
            return Tables.ownRun(base, base.pointee.fields[baseField].slots, value: value, hash: h)
        }

        /// The overlay's run for base slot `slot`, if the tenant prices that value.
        @inline(__always) static func override(_ overrides: UnsafeMutableBufferPointer<Override>,
                                               _ slot: Int) -> UnsafeBufferPointer<CompiledMapping>? {
            let mask = overrides.count - 1
            var i = slot & mask
            while true {
                let entry = overrides[i]
                if entry.slot < 0 { return nil }
                if Int(entry.slot) == slot { return UnsafeBufferPointer(start: entry.start, count: Int(entry.count)) }
                i = (i + 1) & mask
            }
        }
    }

    let base: ServiceIndex?
    /// Whether this overlay reads its base's fields and value tables (`Lookup.overrides`).
    let sharesBaseFields: Bool
    /// Groups and rules numbered across base and overlay: base's first.
    let groupCount: Int
    let ruleCount: Int
    let groupNumbers: [String?: Int32]
    private let ownGroupNames: [String?]
    private let ownRuleIDs: [String]
    let fieldNames: [String]
    let serviceMappings: UnsafeBufferPointer<CompiledMapping>
    /// Where windows start (`ServiceStart`): the base's when this overlay keeps its service
    /// mappings and groups, else its own (`ownServiceStart`, freed with the index).
    let serviceStart: UnsafePointer<ServiceStart>
    private let ownServiceStart: UnsafeMutablePointer<ServiceStart>?
    let serviceThresholds: UnsafeBufferPointer<CompiledThreshold>
    let serviceSteps: UnsafePointer<ThresholdSteps>?
    /// The threshold steps this index built (the others are its base's), freed with it.
    private let ownSteps: [UnsafeMutablePointer<ThresholdSteps>]
    let fields: UnsafeMutableBufferPointer<Field>
    private let mappings: UnsafeMutableBufferPointer<CompiledMapping>
    private let thresholds: UnsafeMutableBufferPointer<CompiledThreshold>
    private let slots: UnsafeMutableBufferPointer<Slot>
    private let text: UnsafeMutableRawBufferPointer

    init(_ b: ServiceIndexBuilder) {
        base = b.base
        sharesBaseFields = b.sharesBaseFields
        groupCount = (b.base?.groupCount ?? 0) + b.groupNames.count
        ruleCount = (b.base?.ruleCount ?? 0) + b.ruleIDs.count
        groupNumbers = b.groupNumbers
        ownGroupNames = b.groupNames
        ownRuleIDs = b.ruleIDs
        fieldNames = b.sharesBaseFields ? b.base!.fieldNames : b.fields.map(\.name)
        // Every table in one allocation, in the order matching reads them: a tenant's
        // overlay is a few adjacent cache lines, not five blocks scattered over the heap.
        var size = 0
        func reserve<T>(_: T.Type, _ count: Int) -> Int {
            let at = (size + 15) & ~15
            size = at + MemoryLayout<T>.stride * count
            return at
        }
        var overrideCount = 0
        if !Front.fitsInline(b.overrides) {  // else they are inline in the lookup's front
            overrideCount = 4
            while overrideCount < b.overrides.count * 2 { overrideCount <<= 1 }
        }
        let lookupAt = reserve(Lookup.self, 1), overridesAt = reserve(Override.self, overrideCount)
        let fieldsAt = reserve(Field.self, b.fields.count), mappingsAt = reserve(CompiledMapping.self, b.mappings.count)
        let thresholdsAt = reserve(CompiledThreshold.self, b.thresholds.count), slotsAt = reserve(Slot.self, b.slots.count)
        let textAt = reserve(UInt8.self, b.text.count)
        storage = .allocate(byteCount: max(size, 16), alignment: 64)  // the lookup starts a cache line
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
        // Threshold steps: the base's for lists read from it, else built here.
        var built: [UnsafeMutablePointer<ThresholdSteps>] = []
        func steps(_ source: ServiceIndexBuilder.Source<CompiledThreshold>, base: UnsafePointer<ThresholdSteps>?) -> UnsafePointer<ThresholdSteps>? {
            let list = resolve(source, own: ownThresholds)
            if list.isEmpty { return nil }
            if case .base = source, let base { return base }
            let made = ThresholdSteps.make(list, stepped: b.steppedThresholds)
            built.append(made)
            return UnsafePointer(made)
        }
        serviceSteps = steps(b.serviceThresholds, base: b.base?.serviceSteps)
        let placedFields = Self.place(b.fields.enumerated().map { i, f in
            Field(name: f.nameRange, nameWord: ByteText.prefixWord(of: f.name), slots: f.slots, baseField: f.baseField, hasMappings: f.hasMappings,
                  thresholds: resolve(f.thresholds, own: ownThresholds),
                  steps: steps(f.thresholds, base: f.baseField >= 0 ? b.base!.fields[Int(f.baseField)].steps : nil), number: Int32(i))
        }, in: storage + fieldsAt)
        ownSteps = built
        var overrides = Self.place(Array(repeating: Override(), count: overrideCount), in: storage + overridesAt)
        let own = Tables(fields: placedFields, slots: slots, mappings: mappings, text: text,
                         serviceMappings: serviceMappings, serviceThresholds: serviceThresholds)
        for (slot, run) in b.overrides where overrideCount > 0 {
            var i = Int(slot) & (overrideCount - 1)
            while overrides[i].slot >= 0 { i = (i + 1) & (overrideCount - 1) }
            overrides[i] = Override(slot: slot, count: Int32(run.count), start: ownMappings.baseAddress! + Int(run.lowerBound))
        }
        if overrideCount == 0 { overrides = .init(start: nil, count: 0) }
        lookupPointer = (storage + lookupAt).bindMemory(to: Lookup.self, capacity: 1)
        ownTables = UnsafePointer((storage + lookupAt + MemoryLayout<Lookup>.offset(of: \Lookup.own)!).assumingMemoryBound(to: Tables.self))
        // A shared-fields overlay matches against the base's fields and value dictionary
        // (read from the base's lookup, in cache for every tenant), with its runs by base slot.
        let shared = b.sharesBaseFields ? b.base!.matchingTables : nil
        if case .base = b.serviceMappings, let base = b.base, base.groupCount == groupCount {
            ownServiceStart = nil
            serviceStart = base.serviceStart
        } else {
            let start = ServiceStart.make(serviceMappings, groupCount: groupCount, lookup: lookupPointer)
            ownServiceStart = start
            serviceStart = UnsafePointer(start)
        }
        let front = Front(serviceStart: serviceStart, serviceSteps: serviceSteps, matching: shared ?? ownTables,
                          groupCount: groupCount, mappings: ownMappings.baseAddress, overrides: b.overrides)
        assert(MemoryLayout<Front>.size == 128, "a lookup's front is two cache lines")
        lookupPointer.initialize(to: Lookup(front: front, overrides: overrides,
                                            owner: nil, own: own, base: b.sharesBaseFields ? .empty : (b.base?.lookup.own ?? .empty)))
        fields = shared?.pointee.fields ?? placedFields
        var encoded: [UInt8] = []
        encoded.reserveCapacity(24 * (b.groupNames.count + b.ruleIDs.count))  // ids are short: one allocation
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
    /// This index's own tables, in place (in its lookup).
    private let ownTables: UnsafePointer<Tables>
    /// The tables windows of this index match against, in place: its lookup's `own` unless
    /// it shares its base's (a shared-fields overlay of a global index points here).
    var matchingTables: UnsafePointer<Tables> { lookupPointer.pointee.front.matching! }

    /// The tables' memory (trivial values only, so nothing to deinitialize).
    private let storage: UnsafeMutableRawPointer

    deinit {
        if let ownServiceStart { ServiceStart.free(ownServiceStart) }
        ownSteps.forEach(ThresholdSteps.free)
        storage.deallocate()
    }

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

    /// When a tenant's rules on this (global) index fit a shared-fields overlay (every
    /// field rule is a mapping of a value this index already prices): each mapping's slot
    /// in this index's dictionary, −1 for a service mapping. Nil when they do not fit.
    func sharedSlots(_ service: ServiceDeclaration, _ mappings: [HashMapping], _ thresholds: [HashThreshold]) -> [Int32]? {
        guard base == nil, thresholds.allSatisfy({ $0.field == nil }) else { return nil }
        var slots: [Int32] = []
        slots.reserveCapacity(mappings.count)
        for m in mappings {
            guard let name = m.field else { slots.append(-1); continue }
            guard service.fields.contains(name), let slot = slot(field: name, value: m.value ?? "") else { return nil }
            slots.append(slot)
        }
        return slots
    }

    /// The run of slot `slot` of this index's own value tables.
    func run(ofSlot slot: Int) -> UnsafeBufferPointer<CompiledMapping> { Tables.run(ownTables, of: slot) }

    /// The slot of `value` in the value table of the field named `name`: the value's id in
    /// this index's dictionary.
    func slot(field name: String, value: String) -> Int32? {
        guard let position = fieldPosition(name) else { return nil }
        var v = value
        let slots = fields[position].slots
        return v.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            return Tables.slot(ownTables, slots, value: raw, hash: ByteText.hash(raw)).map { Int32($0) }
        }
    }

    func run(_ field: Field, value: UnsafeRawBufferPointer) -> UnsafeBufferPointer<CompiledMapping>? {
        withUnsafePointer(to: field) { Lookup.run(lookupPointer, Lookup.front(lookupPointer), $0, value: value) }
    }
}
