/// What the hashmap module did for one window, as trivial records: each touched group's
/// accumulator and result (in summing order) and the numbers of the mappings it applied,
/// with the compiled index that names them. One allocation per explained window, where
/// `GroupStep`s cost an array per group, a `String` per rule id and the step arrays.
///
/// `moduleStep` builds the data form (`Explanation.modules`); `write(to:)` encodes the
/// same bytes straight from the records, copying rule ids and group names from the
/// index's pre-encoded text (ExplanationEncodingTests holds both equal to the tree).
/// Immutable once built; the index it holds is immutable too.
final class HashmapTrace: ManagedBuffer<HashmapTraceHeader, TracedGroup>, @unchecked Sendable {
    /// A trace with room for `groups` groups and `rules` applied mappings, filled by `body`
    /// (which must set every group and `ruleCount` rule numbers).
    ///
    /// `spare` is the caller's last trace: when nothing else holds it any more (the window
    /// it explained was written and dropped, the usual case) and it has room, it is filled
    /// again instead of allocating, and freeing, one per explained window (malloc, free and
    /// the object's set-up were ~1,100 instructions a window). A trace still held elsewhere
    /// is left alone, so a trace handed out never changes; the new one becomes the spare.
    static func make(reusing spare: UnsafeMutablePointer<HashmapTrace?>?, index: ServiceIndex, priceBefore: ExactDecimal,
                     priceAfter: ExactDecimal, quantity: ExactDecimal, groups: Int, rules: Int,
                     _ body: (UnsafeMutablePointer<TracedGroup>, UnsafeMutablePointer<Int32>) -> Void) -> HashmapTrace {
        // The rule numbers live after the groups, in the same allocation.
        let stride = MemoryLayout<TracedGroup>.stride
        let slots = groups + (rules * MemoryLayout<Int32>.stride + stride - 1) / stride
        let trace: HashmapTrace
        // The header is read and written through its pointer: `header` itself is a class's
        // stored property, each access a dynamic exclusivity check (~130 instructions a window).
        if let spare, spare.pointee != nil, isKnownUniquelyReferenced(&spare.pointee!),
           spare.pointee!.withUnsafeMutablePointerToHeader({ $0.pointee.capacity }) >= slots {
            trace = spare.pointee!
            trace.withUnsafeMutablePointerToHeader { h in
                if h.pointee.index !== index { h.pointee.index = index }
                h.pointee.priceBefore = priceBefore; h.pointee.priceAfter = priceAfter; h.pointee.quantity = quantity
                h.pointee.groupCount = Int32(groups); h.pointee.ruleCount = Int32(rules)
            }
        } else {
            // Room for a few more groups and rules than this window needs, so the spare
            // fits the next windows of the service too.
            let buffer = create(minimumCapacity: slots + 4) { _ in
                HashmapTraceHeader(index: index, priceBefore: priceBefore, priceAfter: priceAfter, quantity: quantity,
                                   groupCount: Int32(groups), ruleCount: Int32(rules), capacity: slots + 4)
            }
            trace = unsafeDowncast(buffer, to: HashmapTrace.self)
            spare?.pointee = trace
        }
        trace.withUnsafeMutablePointerToElements { elements in
            let rulesStart = UnsafeMutableRawPointer(elements + groups).bindMemory(to: Int32.self, capacity: rules)
            body(elements, rulesStart)
        }
        return trace
    }

    /// The price after the module: known only once the groups are summed into the trace.
    func setPriceAfter(_ price: ExactDecimal) { withUnsafeMutablePointerToHeader { $0.pointee.priceAfter = price } }

    @inline(__always) private func withParts<R>(
        _ body: (HashmapTraceHeader, UnsafeBufferPointer<TracedGroup>, UnsafeBufferPointer<Int32>) -> R) -> R {
        withUnsafeMutablePointers { header, elements in
            let h = header.pointee
            let groups = Int(h.groupCount)
            let rules = UnsafeMutableRawPointer(elements + groups).assumingMemoryBound(to: Int32.self)
            return body(h, UnsafeBufferPointer(start: elements, count: groups),
                        UnsafeBufferPointer(start: rules, count: Int(h.ruleCount)))
        }
    }

    /// The hashmap's `ModuleStep`, as the data form has it.
    var moduleStep: ModuleStep {
        withParts { h, groups, rules in
            let steps = groups.map { g -> GroupStep in
                var threshold: ThresholdStep?
                if g.thresholdRule >= 0 {
                    threshold = ThresholdStep(id: h.index.ruleID(Int(g.thresholdRule)), onService: g.thresholdOnService,
                                              level: g.thresholdLevel, type: g.thresholdType, cost: g.thresholdCost)
                }
                let ids = rules[Int(g.firstRule)..<Int(g.firstRule + g.ruleCount)].map { h.index.ruleID(Int($0)) }
                return GroupStep(group: h.index.groupName(Int(g.group)), mappings: ids, flat: g.flat, rate: g.rate,
                                 threshold: threshold, quantity: h.quantity, result: g.result)
            }
            return ModuleStep(module: .hashmap, priceBefore: h.priceBefore, priceAfter: h.priceAfter, detail: .hashmap(steps))
        }
    }

    /// The explanation `[moduleStep]` in canonical bytes, written from the records: a
    /// whole value, its keys and punctuation as literals between the decimals and names.
    func write(to w: inout CanonicalWriter) {
        withParts { h, groups, rules in
            w.literal("[{\"groups\":[")
            for (k, g) in groups.enumerated() {
                if k > 0 { w.literalByte(UInt8(ascii: ",")) }
                w.literal("{\"flat\":\""); w.explanationDecimal(g.flat)
                w.literal("\",\"group\":"); h.index.writeGroupName(Int(g.group), to: &w)
                w.literal(",\"mappings\":[")
                for (j, r) in rules[Int(g.firstRule)..<Int(g.firstRule + g.ruleCount)].enumerated() {
                    if j > 0 { w.literalByte(UInt8(ascii: ",")) }
                    h.index.writeRuleID(Int(r), to: &w)
                }
                w.literal("],\"rate\":\""); w.explanationDecimal(g.rate)
                w.literal("\",\"result\":\""); w.explanationDecimal(g.result)
                w.literal("\",\"steps\":")
                let threshold = g.thresholdRule >= 0 ? (onService: g.thresholdOnService, type: g.thresholdType, cost: g.thresholdCost) : nil
                GroupStep.writeArithmeticSteps(flat: g.flat, rate: g.rate, threshold: threshold, quantity: h.quantity,
                                                result: g.result, to: &w)
                if g.thresholdRule >= 0 {
                    w.literal(",\"threshold\":{\"cost\":\""); w.explanationDecimal(g.thresholdCost)
                    w.literal("\",\"id\":"); h.index.writeRuleID(Int(g.thresholdRule), to: &w)
                    w.literal(",\"level\":\""); w.explanationDecimal(g.thresholdLevel)
                    switch (g.thresholdOnService, g.thresholdType) {
                    case (true, .flat): w.literal("\",\"scope\":\"service\",\"type\":\"flat\"}}")
                    case (true, .rate): w.literal("\",\"scope\":\"service\",\"type\":\"rate\"}}")
                    case (false, .flat): w.literal("\",\"scope\":\"field\",\"type\":\"flat\"}}")
                    case (false, .rate): w.literal("\",\"scope\":\"field\",\"type\":\"rate\"}}")
                    }
                } else {
                    w.literal(",\"threshold\":null}")
                }
            }
            w.literal("],\"module\":\"hashmap\",\"price_after\":\""); w.explanationDecimal(h.priceAfter)
            w.literal("\",\"price_before\":\""); w.explanationDecimal(h.priceBefore)
            w.literal("\"}]")
        }
    }
}

/// Set by `HashmapTrace.make` (again when it refills an unshared spare), then read only.
struct HashmapTraceHeader {
    var index: ServiceIndex
    var priceBefore: ExactDecimal
    /// Set by the builder, after summing the groups (`setPriceAfter`).
    var priceAfter: ExactDecimal
    var quantity: ExactDecimal
    var groupCount: Int32
    var ruleCount: Int32
    /// Elements allocated: the groups, then the rule numbers packed into the rest.
    var capacity: Int
}

/// One touched group: its accumulator after the mappings, the kept threshold and the
/// result, and where its applied mappings' rule numbers are in the trace.
struct TracedGroup {
    var group: Int32
    var firstRule: Int32
    var ruleCount: Int32
    /// The kept threshold's rule number; −1: none.
    var thresholdRule: Int32
    var thresholdOnService: Bool
    var thresholdType: CostType
    var flat: ExactDecimal
    var rate: ExactDecimal
    var thresholdLevel: ExactDecimal
    var thresholdCost: ExactDecimal
    var result: ExactDecimal
}
