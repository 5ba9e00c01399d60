/// Compiles one service's live hashmap rules into a `ServiceIndex`, on top of an
/// optional base index (the epoch's global rules when compiling a tenant).
///
/// Applying a rule merges it the way CloudKitty's tenant overlay does
/// (`LiveRules.overlay`): a rule with the same key as one already there (service
/// mapping: group; field mapping: value and group; threshold: level and group) replaces
/// it in place, any other is appended. Validation leaves at most one live rule per key
/// and scope, so for the global rules every rule is appended in declaration order.
struct ServiceIndexBuilder {
    /// Where a list of rules lives: the base's tables, or a range of this overlay's.
    enum Source<T> {
        case base(UnsafeBufferPointer<T>)
        case own(Range<Int32>)
    }

    struct FieldDraft {
        var name: String
        var nameRange: Range<Int32>
        var slots: Range<Int32>
        var baseField: Int32
        var hasMappings: Bool
        var thresholds: Source<CompiledThreshold>
    }

    let base: ServiceIndex?
    var groupNames: [String?] = []
    var groupNumbers: [String?: Int32]
    var ruleIDs: [String] = []
    var mappings: [CompiledMapping] = []
    var thresholds: [CompiledThreshold] = []
    var serviceMappings: Source<CompiledMapping>
    var serviceThresholds: Source<CompiledThreshold>
    var fields: [FieldDraft] = []
    var slots: [ServiceIndex.Slot] = []
    var text: [UInt8] = []
    /// A *shared-fields* overlay (`sharesBaseFields`): it keeps no fields, value tables or
    /// texts of its own and reads the base's; `overrides` maps a base slot (the value's id
    /// in the base's dictionary) to the tenant's merged run, a range of `mappings`.
    var sharesBaseFields = false
    var overrides: [(slot: Int32, run: Range<Int32>)] = []
    /// Whether threshold lists get their per-level steps (`ThresholdSteps`); tests turn
    /// them off to hold the reduced offers to the plain walk.
    var steppedThresholds = true

    private init(base: ServiceIndex?) {
        self.base = base
        groupNumbers = base?.groupNumbers ?? [:]
        serviceMappings = .base(base?.serviceMappings ?? UnsafeBufferPointer(start: nil, count: 0))
        serviceThresholds = .base(base?.serviceThresholds ?? UnsafeBufferPointer(start: nil, count: 0))
    }

    /// `service`'s index: `base` (may be nil) with `mappings` and `thresholds` (this
    /// service's live rules, in creation order) merged in. Nil when nothing is left.
    ///
    /// A tenant whose field rules are only mappings of values the base already prices (the
    /// usual tenant: its own price for some flavors) gets a shared-fields overlay: its
    /// windows read the base's fields and value tables, which every tenant shares in cache,
    /// plus one small table of its own (base slot → its run). `sharedFields: false` builds
    /// the general overlay instead (tests hold the two to each other).
    static func compile(_ service: ServiceDeclaration, base: ServiceIndex?, mappings: [HashMapping],
                        thresholds: [HashThreshold], sharedFields: Bool = true, steppedThresholds: Bool = true) -> ServiceIndex? {
        if mappings.isEmpty && thresholds.isEmpty { return base }
        var b = ServiceIndexBuilder(base: base)
        b.steppedThresholds = steppedThresholds
        b.addServiceRules(mappings.filter { $0.field == nil }, thresholds.filter { $0.field == nil })
        if sharedFields, let base, let slots = base.sharedSlots(service, mappings, thresholds) {
            b.sharesBaseFields = true
            b.addOverrides(service, mappings, slots: slots)
            return ServiceIndex(b)
        }
        for name in service.fields {
            b.addField(name, mappings.filter { $0.field == name }, thresholds.filter { $0.field == name })
        }
        return ServiceIndex(b)
    }

    private mutating func group(_ name: String?) -> Int32 {
        // A tenant's rules are mostly in one group: the last answer saves a SipHash of the name.
        if let last = lastGroup, last.name == name { return last.number }
        let g: Int32
        if let known = groupNumbers[name] { g = known } else {
            g = Int32((base?.groupCount ?? 0) + groupNames.count)
            groupNumbers[name] = g
            groupNames.append(name)
        }
        lastGroup = (name, g)
        return g
    }
    private var lastGroup: (name: String?, number: Int32)?

    private mutating func rule(_ id: String) -> Int32 {
        ruleIDs.append(id)
        return Int32((base?.ruleCount ?? 0) + ruleIDs.count - 1)
    }

    private mutating func compiled(_ m: HashMapping) -> CompiledMapping {
        CompiledMapping(rule: rule(m.id), group: group(m.group), type: m.type, cost: m.cost)
    }

    private mutating func compiled(_ t: HashThreshold) -> CompiledThreshold {
        CompiledThreshold(rule: rule(t.id), group: group(t.group), level: t.level, type: t.type, cost: t.cost)
    }

    /// `list` with `rules` merged in (same group replaces, else appended).
    private mutating func merged(_ list: [CompiledMapping], _ rules: [HashMapping]) -> [CompiledMapping] {
        var list = list
        for m in rules {
            let c = compiled(m)
            if let i = list.firstIndex(where: { $0.group == c.group }) { list[i] = c } else { list.append(c) }
        }
        return list
    }

    private mutating func merged(_ list: [CompiledThreshold], _ rules: [HashThreshold]) -> [CompiledThreshold] {
        var list = list
        for t in rules {
            let c = compiled(t)
            if let i = list.firstIndex(where: { $0.group == c.group && $0.level == c.level }) { list[i] = c } else { list.append(c) }
        }
        return list
    }

    private mutating func own(_ list: [CompiledMapping]) -> Source<CompiledMapping> {
        let start = Int32(mappings.count)
        mappings += list
        return .own(start..<Int32(mappings.count))
    }

    private mutating func own(_ list: [CompiledThreshold]) -> Source<CompiledThreshold> {
        let start = Int32(thresholds.count)
        thresholds += list
        return .own(start..<Int32(thresholds.count))
    }

    private mutating func addServiceRules(_ ms: [HashMapping], _ ts: [HashThreshold]) {
        if !ms.isEmpty { serviceMappings = own(merged(Array(base?.serviceMappings ?? .init(start: nil, count: 0)), ms)) }
        if !ts.isEmpty { serviceThresholds = own(merged(Array(base?.serviceThresholds ?? .init(start: nil, count: 0)), ts)) }
    }

    private mutating func addText(_ bytes: some Collection<UInt8>) -> Range<Int32> {
        let start = Int32(text.count)
        text.append(contentsOf: bytes)
        return start..<Int32(text.count)
    }

    private mutating func addField(_ name: String, _ ms: [HashMapping], _ ts: [HashThreshold]) {
        let baseField = base?.fieldPosition(name)
        let baseEntry = baseField.map { base!.fields[$0] }
        if ms.isEmpty && ts.isEmpty && baseEntry == nil { return }
        let (values, runs) = mergedRuns(ms, baseEntry: baseEntry)
        var fieldThresholds: Source<CompiledThreshold> = .base(baseEntry?.thresholds ?? .init(start: nil, count: 0))
        if !ts.isEmpty { fieldThresholds = own(merged(Array(baseEntry?.thresholds ?? .init(start: nil, count: 0)), ts)) }
        fields.append(FieldDraft(name: name, nameRange: addText(name.utf8), slots: addSlots(values, runs),
                                 baseField: Int32(baseField ?? -1),
                                 hasMappings: !values.isEmpty || (baseEntry?.hasMappings ?? false),
                                 thresholds: fieldThresholds))
    }

    /// The values `ms` price, in first-appearance order, each with its run: the base's run
    /// of that value with the mappings merged in (same group replaces, else appended).
    private mutating func mergedRuns(_ ms: [HashMapping], baseEntry: ServiceIndex.Field?) -> ([String], [[CompiledMapping]]) {
        var values: [String] = []
        var runs: [[CompiledMapping]] = []
        // Values by position: a linear search while there are few (a tenant prices ~10),
        // a dictionary beyond (hashing each value with SipHash cost more than the search).
        var position: [String: Int] = [:]
        for m in ms {
            let value = m.value ?? ""
            let i: Int
            if let known = position.isEmpty ? values.firstIndex(of: value) : position[value] { i = known } else {
                i = values.count
                values.append(value)
                if values.count == 16 {
                    position = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, $0) })
                } else if values.count > 16 {
                    position[value] = i
                }
                var inherited: [CompiledMapping] = []
                if let baseEntry {
                    var v = value
                    inherited = v.withUTF8 { base!.run(baseEntry, value: UnsafeRawBufferPointer($0)).map(Array.init) } ?? []
                }
                runs.append(inherited)
            }
            let c = compiled(m)
            if let k = runs[i].firstIndex(where: { $0.group == c.group }) { runs[i][k] = c } else { runs[i].append(c) }
        }
        return (values, runs)
    }

    /// A shared-fields overlay's runs, by field in declaration order: each value the field's
    /// mappings price (first appearance first) gets the base's run of that value with the
    /// mappings merged in (same group replaces, else appended), entered in `overrides` by
    /// the value's base slot. `slots`: each mapping's base slot (`ServiceIndex.sharedSlots`),
    /// so a value is looked up in the base's dictionary once, not once per step.
    private mutating func addOverrides(_ service: ServiceDeclaration, _ mappings: [HashMapping], slots: [Int32]) {
        let base = base!
        for name in service.fields {
            var values: [Int32] = []  // base slots, first appearance first
            var runs: [[CompiledMapping]] = []
            for i in mappings.indices where slots[i] >= 0 && mappings[i].field == name {
                let slot = slots[i]
                let k: Int
                if let known = values.firstIndex(of: slot) { k = known } else {
                    k = values.count
                    values.append(slot)
                    runs.append(Array(base.run(ofSlot: Int(slot))))
                }
                let c = compiled(mappings[i])
                if let j = runs[k].firstIndex(where: { $0.group == c.group }) { runs[k][j] = c } else { runs[k].append(c) }
            }
            for (slot, run) in zip(values, runs) {
                guard case .own(let range) = own(run) else { continue }
                overrides.append((slot: slot, run: range))
            }
        }
    }

    /// An open-addressing table (power of two, at most half full) from value to run.
    private mutating func addSlots(_ values: [String], _ runs: [[CompiledMapping]]) -> Range<Int32> {
        if values.isEmpty { return 0..<0 }
        var size = 4
        while size < values.count * 2 { size <<= 1 }
        let start = slots.count
        slots += Array(repeating: ServiceIndex.Slot(), count: size)
        for (value, list) in zip(values, runs) {
            let key = addText(value.utf8)
            let run = own(list)
            guard case .own(let range) = run else { continue }
            let h = text.withUnsafeBytes { ByteText.hash(UnsafeRawBufferPointer(rebasing: $0[Int(key.lowerBound)..<Int(key.upperBound)])) }
            var i = Int(truncatingIfNeeded: h) & (size - 1)
            while slots[start + i].used { i = (i + 1) & (size - 1) }
            slots[start + i] = ServiceIndex.Slot(hash: h, key: key, run: range, used: true)
        }
        return Int32(start)..<Int32(start + size)
    }
}
