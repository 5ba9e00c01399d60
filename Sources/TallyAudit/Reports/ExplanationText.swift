import TallyCore

/// A rating explanation as lines a finance person can follow.
public enum ExplanationText {
    public static func lines(_ explanation: Explanation) -> [String] {
        var out: [String] = []
        if explanation.modules.isEmpty { out.append("no rating module applied (flat price per unit, or no rule)") }
        for step in explanation.modules {
            out.append("\(step.module.rawValue): price \(step.priceBefore.canonicalText) → \(step.priceAfter.canonicalText)")
            switch step.detail {
            case .hashmap(let groups):
                if groups.isEmpty { out.append("  no rule matched") }
                for g in groups {
                    let matched = g.mappings.isEmpty ? "no mapping" : "mappings " + g.mappings.joined(separator: ", ")
                    out.append("  group \(g.group ?? "(default)"): \(matched); flat \(g.flat.canonicalText), rate \(g.rate.canonicalText)")
                    if let t = g.threshold {
                        out.append("    threshold \(t.id) (\(t.onService ? "service" : "field"), level \(t.level.canonicalText)): \(t.type) \(t.cost.canonicalText)")
                    }
                    for line in g.arithmeticSteps { out.append("    " + line) }
                    out.append("    group result \(g.result.canonicalText)")
                }
            case .tiers(let tier):
                if let t = tier {
                    out.append("  tier schedule \(t.id), cycle from \(Timestamps.iso8601(t.cycleStart))")
                    out.append("    usage before this window: \(t.priorQuantity.canonicalText) over \(t.priorWindows) windows; this window: \(t.quantity.canonicalText)")
                    out.append("    cumulative price \(t.cumulativeBefore.canonicalText) → \(t.cumulativeAfter.canonicalText); difference \((t.cumulativeAfter - t.cumulativeBefore).canonicalText)")
                } else {
                    out.append("  no tier schedule for this service")
                }
            case .script(let lines): out += lines.map { "  " + $0 }
            case .noop: break
            case .failed(let reason): out.append("  FAILED: \(reason)")
            }
        }
        return out
    }
}
