/// The explanation as canonical JSON (docs/RATING.md, "Explanation format").
///
/// Two encoders: `json` builds the tree (reports, tests, anything that inspects it);
/// `write(to:)` writes the same bytes straight out, members in canonical order, for
/// frames (ExplanationEncodingTests holds the two equal).
extension Explanation {
    public var json: CanonicalJSON { .array(modules.map(\.json)) }
    public var canonicalJSON: String { json.text }

    /// The canonical encoding, without building the tree.
    public var canonicalBytes: [UInt8] {
        var w = CanonicalWriter(capacity: 1024)
        write(to: &w)
        return w.bytes
    }

    func write(to w: inout CanonicalWriter) {
        switch storage {
        case .hashmap(let trace): trace.write(to: &w)
        case .steps(let steps):
            w.openArray()
            for step in steps { w.element(); step.write(to: &w) }
            w.closeArray()
        }
    }
}

extension ModuleStep {
    /// Keys in byte order: error, groups, module, price_after, price_before, scripts, tier.
    func write(to w: inout CanonicalWriter) {
        w.open()
        if case .failed(let reason) = detail { w.key("error"); w.string(reason) }
        if case .hashmap(let groups) = detail {
            w.key("groups"); w.openArray()
            for g in groups { w.element(); g.write(to: &w) }
            w.closeArray()
        }
        w.key("module"); w.string(module.rawValue)
        w.key("price_after"); w.decimal(priceAfter)
        w.key("price_before"); w.decimal(priceBefore)
        if case .script(let ids) = detail { w.key("scripts"); w.strings(ids) }
        if case .tiers(let step) = detail {
            w.key("tier")
            if let step { step.write(to: &w) } else { w.null() }
        }
        w.close()
    }
}

extension GroupStep {
    /// Keys in byte order: flat, group, mappings, rate, result, steps, threshold.
    func write(to w: inout CanonicalWriter) {
        w.open()
        w.key("flat"); w.decimal(flat)
        w.key("group"); w.string(group)
        w.key("mappings"); w.strings(mappings)
        w.key("rate"); w.decimal(rate)
        w.key("result"); w.decimal(result)
        w.key("steps")
        let adjustment = threshold.map { (onService: $0.onService, type: $0.type, cost: $0.cost) }
        Self.writeArithmeticSteps(flat: flat, rate: rate, threshold: adjustment, quantity: quantity, to: &w)
        w.key("threshold")
        if let t = threshold {
            w.open()
            w.key("cost"); w.decimal(t.cost)
            w.key("id"); w.string(t.id)
            w.key("level"); w.decimal(t.level)
            w.key("scope"); w.string(t.onService ? "service" : "field")
            w.key("type"); w.string(t.type.rawValue)
            w.close()
        } else {
            w.null()
        }
        w.close()
    }

    /// `arithmeticSteps` written straight out (same operations, same text; the lines
    /// hold only ASCII, "×" and decimals, so nothing needs escaping), from a group's
    /// values (a `GroupStep`'s or a hashmap trace's): the whole array, its fixed words as
    /// literals.
    ///
    /// `result`: the group's result when the caller computed it with the same operations
    /// (a hashmap trace's, `HashmapModule.groupResult`). Without a service threshold it is
    /// `rate × flat × qty` itself, so the line writes it instead of multiplying again (two
    /// products per group, ~150 instructions); with one, the product before the threshold
    /// is not kept, so it is computed as before.
    static func writeArithmeticSteps(flat: ExactDecimal, rate: ExactDecimal,
                                     threshold: (onService: Bool, type: CostType, cost: ExactDecimal)?,
                                     quantity: ExactDecimal, result: ExactDecimal? = nil, to w: inout CanonicalWriter) {
        w.literal("[\"")
        var flat = flat, rate = rate
        if let t = threshold, !t.onService {
            if t.type == .flat {
                let new = flat + t.cost
                w.literal("flat = flat + field threshold cost = "); w.explanationDecimal(flat); w.literal(" + ")
                w.explanationDecimal(t.cost); w.literal(" = "); w.explanationDecimal(new)
                flat = new
            } else {
                let new = rate * t.cost
                w.literal("rate = rate × field threshold cost = "); w.explanationDecimal(rate); w.literal(" × ")
                w.explanationDecimal(t.cost); w.literal(" = "); w.explanationDecimal(new)
                rate = new
            }
            w.literal("\",\"")
        }
        let onService = threshold?.onService ?? false
        let res = !onService ? result ?? rate * flat * quantity : rate * flat * quantity
        w.literal("res = rate × flat × qty = "); w.explanationDecimal(rate); w.literal(" × "); w.explanationDecimal(flat); w.literal(" × ")
        w.explanationDecimal(quantity); w.literal(" = "); w.explanationDecimal(res)
        if let t = threshold, t.onService {
            let isFlat = t.type == .flat
            let new = isFlat ? res + t.cost : res * t.cost
            if isFlat {
                w.literal("\",\"res = res + service threshold cost = "); w.explanationDecimal(res); w.literal(" + ")
            } else {
                w.literal("\",\"res = res × service threshold cost = "); w.explanationDecimal(res); w.literal(" × ")
            }
            w.explanationDecimal(t.cost); w.literal(" = "); w.explanationDecimal(new)
        }
        w.literal("\"]")
    }
}

extension TierStep {
    /// Keys in byte order: cumulative_after, cumulative_before, cycle_start_us, id,
    /// prior_quantity, prior_windows, quantity.
    func write(to w: inout CanonicalWriter) {
        w.open()
        w.key("cumulative_after"); w.decimal(cumulativeAfter)
        w.key("cumulative_before"); w.decimal(cumulativeBefore)
        w.key("cycle_start_us"); w.integer(cycleStart.micros)
        w.key("id"); w.string(id)
        w.key("prior_quantity"); w.decimal(priorQuantity)
        w.key("prior_windows"); w.integer(Int64(priorWindows))
        w.key("quantity"); w.decimal(quantity)
        w.close()
    }
}

extension ModuleStep {
    public var json: CanonicalJSON {
        var members: [String: CanonicalJSON] = [
            "module": .string(module.rawValue),
            "price_before": .decimal(priceBefore),
            "price_after": .decimal(priceAfter),
        ]
        switch detail {
        case .hashmap(let groups): members["groups"] = .array(groups.map(\.json))
        case .tiers(let step): members["tier"] = step.map(\.json) ?? .null
        case .script(let ids): members["scripts"] = .array(ids.map(CanonicalJSON.string))
        case .noop: break
        case .failed(let reason): members["error"] = .string(reason)
        }
        return .object(members)
    }
}

extension GroupStep {
    public var json: CanonicalJSON {
        var members: [String: CanonicalJSON] = [
            "group": group.map(CanonicalJSON.string) ?? .null,
            "mappings": .array(mappings.map(CanonicalJSON.string)),
            "flat": .decimal(flat),
            "rate": .decimal(rate),
            "result": .decimal(result),
            "steps": .array(arithmeticSteps.map(CanonicalJSON.string)),
        ]
        if let t = threshold {
            members["threshold"] = .object([
                "id": .string(t.id), "scope": .string(t.onService ? "service" : "field"),
                "level": .decimal(t.level), "type": .string(t.type.rawValue), "cost": .decimal(t.cost),
            ])
        } else {
            members["threshold"] = .null
        }
        return .object(members)
    }

    /// The group's arithmetic in CloudKitty's order, recomputed with the same operations
    /// so each line shows the rounded intermediate value.
    public var arithmeticSteps: [String] {
        var lines: [String] = []
        var flat = self.flat, rate = self.rate
        if let t = threshold, !t.onService {
            if t.type == .flat {
                let new = flat + t.cost
                lines.append("flat = flat + field threshold cost = \(flat.canonicalText) + \(t.cost.canonicalText) = \(new.canonicalText)")
                flat = new
            } else {
                let new = rate * t.cost
                lines.append("rate = rate × field threshold cost = \(rate.canonicalText) × \(t.cost.canonicalText) = \(new.canonicalText)")
                rate = new
            }
        }
        var res = rate * flat * quantity
        lines.append("res = rate × flat × qty = \(rate.canonicalText) × \(flat.canonicalText) × \(quantity.canonicalText) = \(res.canonicalText)")
        if let t = threshold, t.onService {
            let new = t.type == .flat ? res + t.cost : res * t.cost
            let op = t.type == .flat ? "+" : "×"
            lines.append("res = res \(op) service threshold cost = \(res.canonicalText) \(op) \(t.cost.canonicalText) = \(new.canonicalText)")
            res = new
        }
        return lines
    }
}

extension TierStep {
    public var json: CanonicalJSON {
        .object([
            "id": .string(id),
            "cycle_start_us": .integer(cycleStart.micros),
            "prior_quantity": .decimal(priorQuantity),
            "prior_windows": .integer(Int64(priorWindows)),
            "quantity": .decimal(quantity),
            "cumulative_before": .decimal(cumulativeBefore),
            "cumulative_after": .decimal(cumulativeAfter),
        ])
    }
}
