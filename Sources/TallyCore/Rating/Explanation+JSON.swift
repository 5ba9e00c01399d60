/// The explanation as canonical JSON (docs/RATING.md, "Explanation format").
extension Explanation {
    public var json: CanonicalJSON { .array(modules.map(\.json)) }
    public var canonicalJSON: String { json.text }
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
