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
        var w = CanonicalWriter(capacity: 512)
        write(to: &w)
        return w.bytes
    }

    func write(to w: inout CanonicalWriter) {
        w.array(modules) { w, step in step.write(to: &w) }
    }
}

extension ModuleStep {
    /// Keys in byte order: error, groups, module, price_after, price_before, scripts, tier.
    func write(to w: inout CanonicalWriter) {
        w.open()
        if case .failed(let reason) = detail { w.member("error") { $0.string(reason) } }
        if case .hashmap(let groups) = detail {
            w.member("groups") { $0.array(groups) { w, g in g.write(to: &w) } }
        }
        w.member("module") { $0.string(module.rawValue) }
        w.member("price_after") { $0.decimal(priceAfter) }
        w.member("price_before") { $0.decimal(priceBefore) }
        if case .script(let ids) = detail { w.member("scripts") { $0.array(ids) { w, id in w.string(id) } } }
        if case .tiers(let step) = detail {
            w.member("tier") { w in if let step { step.write(to: &w) } else { w.null() } }
        }
        w.close()
    }
}

extension GroupStep {
    /// Keys in byte order: flat, group, mappings, rate, result, steps, threshold.
    func write(to w: inout CanonicalWriter) {
        w.open()
        w.member("flat") { $0.decimal(flat) }
        w.member("group") { w in if let group { w.string(group) } else { w.null() } }
        w.member("mappings") { $0.array(mappings) { w, id in w.string(id) } }
        w.member("rate") { $0.decimal(rate) }
        w.member("result") { $0.decimal(result) }
        w.member("steps") { $0.array(arithmeticSteps) { w, line in w.string(line) } }
        w.member("threshold") { w in
            guard let t = threshold else { w.null(); return }
            w.open()
            w.member("cost") { $0.decimal(t.cost) }
            w.member("id") { $0.string(t.id) }
            w.member("level") { $0.decimal(t.level) }
            w.member("scope") { $0.string(t.onService ? "service" : "field") }
            w.member("type") { $0.string(t.type.rawValue) }
            w.close()
        }
        w.close()
    }
}

extension TierStep {
    /// Keys in byte order: cumulative_after, cumulative_before, cycle_start_us, id,
    /// prior_quantity, prior_windows, quantity.
    func write(to w: inout CanonicalWriter) {
        w.open()
        w.member("cumulative_after") { $0.decimal(cumulativeAfter) }
        w.member("cumulative_before") { $0.decimal(cumulativeBefore) }
        w.member("cycle_start_us") { $0.integer(cycleStart.micros) }
        w.member("id") { $0.string(id) }
        w.member("prior_quantity") { $0.decimal(priorQuantity) }
        w.member("prior_windows") { $0.integer(Int64(priorWindows)) }
        w.member("quantity") { $0.decimal(quantity) }
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
