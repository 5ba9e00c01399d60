/// The matching state of one hashmap window: steps 1–4 of rating-semantics.md.
struct HashmapRun {
    /// A field holding thresholds whose value is not a number.
    struct Failure { var field: String; var value: String }

    /// The index's tables, by pointer: no copy per window, and the `ServiceIndex` object
    /// itself is read only for explanations and failures (`index`).
    let tables: UnsafePointer<ServiceIndex.Lookup>
    /// What the window reads of them: the lookup's `Front`, or the scope table's copy.
    let front: UnsafePointer<ServiceIndex.Front>
    let groups: UnsafeMutableBufferPointer<HashmapModule.Accumulator>
    /// Stack scratch: the touched groups in touch order (`groupCount` slots), then, for
    /// explanations, (group, rule) of each applied mapping in application order.
    let scratch: UnsafeMutableBufferPointer<Int32>
    let groupCount: Int
    let explain: Bool
    /// The caller's spare trace (`HashmapTrace.make`), if it keeps one.
    let spareTrace: UnsafeMutablePointer<HashmapTrace?>?
    var touchCount = 0
    var matchedCount = 0

    init(index: UnsafePointer<ServiceIndex.Lookup>, front: UnsafePointer<ServiceIndex.Front>, groups: UnsafeMutableBufferPointer<HashmapModule.Accumulator>,
         scratch: UnsafeMutableBufferPointer<Int32>, groupCount: Int, explain: Bool,
         spareTrace: UnsafeMutablePointer<HashmapTrace?>?) {
        self.tables = index; self.front = front; self.groups = groups; self.scratch = scratch
        self.groupCount = groupCount; self.explain = explain; self.spareTrace = spareTrace
    }

    /// Unretained: the caller holds the index for the whole run (no retain per window).
    var index: ServiceIndex { tables.pointee.owner!.takeUnretainedValue() }

    @inline(__always) mutating func touch(_ group: Int32) {
        let g = Int(group)
        if !groups[g].touched { groups[g].touched = true; scratch[touchCount] = group; touchCount += 1 }
    }

    /// A matching mapping: flat keeps the strictly greater cost, rate multiplies.
    @inline(__always) mutating func apply(_ pointer: UnsafePointer<CompiledMapping>) {
        let m = pointer.pointee
        touch(m.group)
        let g = Int(m.group)
        switch m.type {
        case .flat:
            if OrderKey.greater(m.costKey, m.cost, groups[g].flatKey, groups[g].flat) { groups[g].flatMapping = pointer }
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
    @inline(__always) mutating func offer(_ pointer: UnsafePointer<CompiledThreshold>, onService: Bool) {
        let t = pointer.pointee
        touch(t.group)
        let g = Int(t.group)
        if OrderKey.greater(t.levelKey, t.level, groups[g].thresholdLevelKey, groups[g].thresholdLevel) {
            groups[g].threshold = pointer
            groups[g].thresholdOnService = onService
        }
    }

    /// Every service mapping applied: the index's `ServiceStart` copied in (the groups'
    /// accumulators by the caller, which initializes them).
    @inline(__always) mutating func begin(at start: UnsafePointer<ServiceStart>) {
        touchCount = start.pointee.touchCount
        if touchCount == 0 { return }
        scratch.baseAddress!.update(from: start.pointee.scratch, count: touchCount)
        if explain && start.pointee.matchedCount > 0 {
            matchedCount = start.pointee.matchedCount
            (scratch.baseAddress! + groupCount).update(from: start.pointee.scratch + groupCount, count: 2 * matchedCount)
        }
    }

    /// 1. Every service mapping (applied already: `begin`); service thresholds with
    /// qty >= level.
    mutating func serviceStage(quantity: ExactDecimal) {
        guard let steps = front.pointee.serviceSteps else { return }
        let key = OrderKey.of(quantity)
        if key != OrderKey.none && steps.pointee.isStepped {
            let offers = steps.pointee.offers(at: key)
            for i in 0..<offers.count { offer(offers[i], onService: true) }
            return
        }
        let thresholds = steps.pointee.all
        for i in 0..<thresholds.count {
            let t = thresholds.baseAddress! + i
            // qty >= level, as !(level > qty)
            if !OrderKey.greater(t.pointee.levelKey, t.pointee.level, key, quantity) { offer(t, onService: true) }
        }
    }

    /// 2. Fields in declaration order, each present in the description. Returns the
    /// failure reason when a field with thresholds holds a non-number.
    /// Each entry carries its name as (length, first eight bytes), taken when it was set:
    /// finding a field's entry is a compare per entry, bytes only for names over eight bytes.
    mutating func fieldStage(_ entries: UnsafeBufferPointer<RatingDescription.Entry>, bytes: UnsafeRawBufferPointer) -> Failure? {
        let fields = front.pointee.matching.unsafelyUnwrapped.pointee.fields
        for f in 0..<fields.count {
            let field = UnsafePointer(fields.baseAddress! + f)
            guard let entry = entry(field, entries, bytes: bytes) else { continue }
            if let failure = match(field, entry, bytes: bytes) { return failure }
        }
        return nil
    }

    /// The entry named like `field`, if present (absent values count as missing).
    @inline(__always)
    private func entry(_ field: UnsafePointer<ServiceIndex.Field>, _ entries: UnsafeBufferPointer<RatingDescription.Entry>,
                       bytes: UnsafeRawBufferPointer) -> RatingDescription.Entry? {
        let name = field.pointee.name, word = field.pointee.nameWord
        let count = Int(name.upperBound) &- Int(name.lowerBound)
        for i in 0..<entries.count where entries[i].nameWord == word {
            let e = entries[i]
            guard Int(e.nameEnd) &- Int(e.nameStart) == count, e.kind != .absent else { continue }
            if count <= 8 || ByteText.memcmpBytes(bytes.baseAddress! + Int(e.nameStart),
                                                  front.pointee.matching.unsafelyUnwrapped.pointee.text.baseAddress! + Int(name.lowerBound), count) {
                return e
            }
        }
        return nil
    }

    /// One field's mappings and thresholds for its entry `entry`.
    @inline(__always)
    private mutating func match(_ field: UnsafePointer<ServiceIndex.Field>, _ entry: RatingDescription.Entry,
                                bytes: UnsafeRawBufferPointer) -> Failure? {
        let value = UnsafeRawBufferPointer(start: bytes.baseAddress.map { $0 + Int(entry.valueStart) },
                                           count: Int(entry.valueEnd) &- Int(entry.valueStart))
        if field.pointee.hasMappings,
           let run = PythonText.withStr(kind: entry.kind, value: value, { ServiceIndex.Lookup.run(tables, front, field, value: $0) }) {
            for i in 0..<run.count { apply(run.baseAddress! + i) }
        }
        guard let steps = field.pointee.steps else { return nil }
        // 1–18 plain digits (the usual "memory": "2048") are their own key at exponent 0,
        // what `MetaNumber.parse` and `OrderKey.of` give, without building the decimal.
        if steps.pointee.isStepped && (entry.kind == .int || entry.kind == .string),
           let digits = MetaNumber.plainDigits(value) {
            let offers = steps.pointee.offers(at: Int128(digits) * OrderKey.one)
            for i in 0..<offers.count { offer(offers[i], onService: false) }
            return nil
        }
        guard let number = MetaNumber.parse(kind: entry.kind, bytes: value) else {
            return Failure(field: index.fieldNames[Int(field.pointee.number)], value: String(decoding: value, as: UTF8.self))
        }
        // The number's key, when it is exact (an inexact long value has none).
        var key = OrderKey.none
        if case .finite(let v, false) = number { key = OrderKey.of(v) }
        if key != OrderKey.none && steps.pointee.isStepped {
            let offers = steps.pointee.offers(at: key)
            for i in 0..<offers.count { offer(offers[i], onService: false) }
            return nil
        }
        let thresholds = steps.pointee.all
        for i in 0..<thresholds.count {
            let t = thresholds.baseAddress! + i
            let hit = key != OrderKey.none && t.pointee.levelKey != OrderKey.none
                ? key >= t.pointee.levelKey : number.isAtLeast(t.pointee.level)
            if hit { offer(t, onService: false) }
        }
        return nil
    }

    /// `price` in machine words, the `ExactDecimal` built once at the end: nil when some
    /// value or step does not fit a word (then `ExactDecimal` computes it all; the same
    /// digits and exponent either way, see `DecimalWord`).
    @inline(__always)
    private func wordPrice(quantity: ExactDecimal, incoming: ExactDecimal) -> ExactDecimal? {
        guard var sum = DecimalWord(incoming), let q = DecimalWord(quantity) else { return nil }
        for k in 0..<touchCount {
            guard let result = HashmapModule.wordResult(groups[Int(scratch[k])], quantity: q),
                  let next = sum + result else { return nil }
            sum = next
        }
        return sum.exact
    }

    /// 3–4. Each group's result, summed onto the incoming price in first-touch order.
    func price(quantity: ExactDecimal, incoming: ExactDecimal) -> HashmapModule.Outcome {
        var price = incoming
        if !explain {
            if let wordPrice = wordPrice(quantity: quantity, incoming: incoming) { return .priced(wordPrice, nil) }
            for k in 0..<touchCount { price = price + HashmapModule.generalResult(groups[Int(scratch[k])], quantity: quantity) }
            return .priced(price, nil)
        }
        let trace = HashmapTrace.make(reusing: spareTrace, index: index, priceBefore: incoming, priceAfter: .zero, quantity: quantity,
                                      groups: touchCount, rules: matchedCount) { traced, rules in
            var ruleCount: Int32 = 0
            for k in 0..<touchCount {
                let g = scratch[k]
                let acc = groups[Int(g)]
                let result = HashmapModule.groupResult(acc, quantity: quantity)
                price = DecimalWord.sum(price, result)
                let first = ruleCount
                for i in 0..<matchedCount where scratch[groupCount + 2 * i] == g {
                    rules[Int(ruleCount)] = scratch[groupCount + 2 * i + 1]
                    ruleCount += 1
                }
                let threshold = acc.threshold?.pointee
                (traced + k).initialize(to: TracedGroup(
                    group: g, firstRule: first, ruleCount: ruleCount - first,
                    thresholdRule: threshold?.rule ?? -1, thresholdOnService: acc.thresholdOnService,
                    thresholdType: threshold?.type ?? .flat, flat: acc.flat, rate: acc.rate, thresholdLevel: acc.thresholdLevel,
                    thresholdCost: threshold?.cost ?? .zero, result: result))
            }
        }
        trace.setPriceAfter(price)
        return .priced(price, trace)
    }
}
