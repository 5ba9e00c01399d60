/// The matching state of one hashmap window: steps 1–4 of rating-semantics.md.
struct HashmapRun {
    /// A field holding thresholds whose value is not a number.
    struct Failure { var field: String; var value: String }

    /// Unowned: the caller holds the index for the whole run (no retain per window).
    /// Matching reads `tables` (trivial); the object is read only for explanations.
    unowned(unsafe) let index: ServiceIndex
    let tables: ServiceIndex.Lookup
    let groups: UnsafeMutableBufferPointer<HashmapModule.Accumulator>
    /// Stack scratch: the touched groups in touch order (`groupCount` slots), then, for
    /// explanations, (group, rule) of each applied mapping in application order.
    let scratch: UnsafeMutableBufferPointer<Int32>
    let groupCount: Int
    let explain: Bool
    var touchCount = 0
    var matchedCount = 0

    init(index: ServiceIndex, groups: UnsafeMutableBufferPointer<HashmapModule.Accumulator>,
         scratch: UnsafeMutableBufferPointer<Int32>, groupCount: Int, explain: Bool) {
        self.index = index; self.tables = index.lookup; self.groups = groups; self.scratch = scratch
        self.groupCount = groupCount; self.explain = explain
    }

    @inline(__always) mutating func touch(_ group: Int32) {
        let g = Int(group)
        if !groups[g].touched { groups[g].touched = true; scratch[touchCount] = group; touchCount += 1 }
    }

    /// A matching mapping: flat keeps the strictly greater cost, rate multiplies.
    @inline(__always) mutating func apply(_ m: CompiledMapping) {
        touch(m.group)
        let g = Int(m.group)
        switch m.type {
        case .flat: if m.cost > groups[g].flat { groups[g].flat = m.cost }
        case .rate: groups[g].rate = groups[g].rate * m.cost
        }
        if explain {
            // Validation leaves one mapping per group in a run (`HashmapModule.withRun`'s bound).
            precondition(groupCount + 2 * matchedCount + 1 < scratch.count, "more applied mappings than groups × stages")
            scratch[groupCount + 2 * matchedCount] = m.group
            scratch[groupCount + 2 * matchedCount + 1] = m.rule
            matchedCount += 1
        }
    }

    /// A threshold candidate: kept only at a strictly higher level than the group's.
    @inline(__always) mutating func offer(_ t: CompiledThreshold, onService: Bool) {
        touch(t.group)
        let g = Int(t.group)
        if t.level > groups[g].thresholdLevel {
            groups[g].thresholdLevel = t.level
            groups[g].hasThreshold = true
            groups[g].thresholdOnService = onService
            groups[g].thresholdType = t.type
            groups[g].thresholdCost = t.cost
            groups[g].thresholdRule = t.rule
        }
    }

    /// 1. Every service mapping; service thresholds with qty >= level.
    mutating func serviceStage(quantity: ExactDecimal) {
        for m in tables.own.serviceMappings { apply(m) }
        for t in tables.own.serviceThresholds where quantity >= t.level { offer(t, onService: true) }
    }

    /// 2. Fields in declaration order, each present in the description. Returns the
    /// failure reason when a field with thresholds holds a non-number.
    mutating func fieldStage(_ entries: UnsafeBufferPointer<RatingDescription.Entry>, bytes: UnsafeRawBufferPointer) -> Failure? {
        // Each entry's name as (length, first eight bytes): finding a field's entry is then
        // a compare per entry, and a byte compare only for names longer than eight bytes.
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: entries.count) { words in
            for i in 0..<entries.count {
                let e = entries[i]
                words[i] = ByteText.prefixWord(UnsafeRawBufferPointer(rebasing: bytes[Int(e.nameStart)..<Int(e.nameEnd)]))
            }
            return fieldStage(entries, nameWords: UnsafeBufferPointer(words), bytes: bytes)
        }
    }

    /// The entry named like `field`, if present (absent values count as missing).
    @inline(__always)
    private func entry(_ field: ServiceIndex.Field, _ entries: UnsafeBufferPointer<RatingDescription.Entry>,
                       nameWords: UnsafeBufferPointer<UInt64>, bytes: UnsafeRawBufferPointer) -> RatingDescription.Entry? {
        let count = field.name.count
        for i in 0..<entries.count where nameWords[i] == field.nameWord {
            let e = entries[i]
            guard Int(e.nameEnd - e.nameStart) == count, e.kind != .absent else { continue }
            if count <= 8 || ByteText.equal(UnsafeRawBufferPointer(rebasing: bytes[Int(e.nameStart)..<Int(e.nameEnd)]),
                                            tables.own.bytes(field.name)) {
                return e
            }
        }
        return nil
    }

    private mutating func fieldStage(_ entries: UnsafeBufferPointer<RatingDescription.Entry>, nameWords: UnsafeBufferPointer<UInt64>,
                                     bytes: UnsafeRawBufferPointer) -> Failure? {
        for field in tables.own.fields {
            guard let entry = entry(field, entries, nameWords: nameWords, bytes: bytes) else { continue }
            let value = UnsafeRawBufferPointer(rebasing: bytes[Int(entry.valueStart)..<Int(entry.valueEnd)])
            if field.hasMappings,
               let run = PythonText.withStr(kind: entry.kind, value: value, { tables.run(field, value: $0) }) {
                for m in run { apply(m) }
            }
            if field.thresholds.isEmpty { continue }
            guard let number = MetaNumber.parse(kind: entry.kind, bytes: value) else {
                return Failure(field: index.fieldNames[Int(field.number)], value: String(decoding: value, as: UTF8.self))
            }
            for t in field.thresholds where number.isAtLeast(t.level) { offer(t, onService: false) }
        }
        return nil
    }

    /// 3–4. Each group's result, summed onto the incoming price in first-touch order.
    func price(quantity: ExactDecimal, incoming: ExactDecimal) -> HashmapModule.Outcome {
        var price = incoming
        if !explain {
            for k in 0..<touchCount { price = price + HashmapModule.groupResult(groups[Int(scratch[k])], quantity: quantity) }
            return .priced(price, nil)
        }
        let trace = HashmapTrace.make(index: index, priceBefore: incoming, priceAfter: .zero, quantity: quantity,
                                      groups: touchCount, rules: matchedCount) { traced, rules in
            var ruleCount: Int32 = 0
            for k in 0..<touchCount {
                let g = scratch[k]
                let acc = groups[Int(g)]
                let result = HashmapModule.groupResult(acc, quantity: quantity)
                price = price + result
                let first = ruleCount
                for i in 0..<matchedCount where scratch[groupCount + 2 * i] == g {
                    rules[Int(ruleCount)] = scratch[groupCount + 2 * i + 1]
                    ruleCount += 1
                }
                (traced + k).initialize(to: TracedGroup(
                    group: g, firstRule: first, ruleCount: ruleCount - first,
                    thresholdRule: acc.hasThreshold ? acc.thresholdRule : -1, thresholdOnService: acc.thresholdOnService,
                    thresholdType: acc.thresholdType, flat: acc.flat, rate: acc.rate, thresholdLevel: acc.thresholdLevel,
                    thresholdCost: acc.thresholdCost, result: result))
            }
        }
        trace.setPriceAfter(price)
        return .priced(price, trace)
    }
}
