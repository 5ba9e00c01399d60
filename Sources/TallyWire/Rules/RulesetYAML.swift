import TallyCore

/// Writes a `RuleSet` as a ruleset file (docs/RATING.md) that `RulesetFile.parse` reads
/// back to the same rules: what `tally rules show` prints, so its output is valid input
/// to `tally rules apply`. One rule per line in flow style; every string is written as a
/// JSON string (valid YAML, never re-typed: "8" stays text), decimals in canonical text.
public enum RulesetYAML {
    public static func encode(_ rules: RuleSet) -> String {
        var out = ["version: 1"]
        let modules = RatingModuleKind.allCases.filter { rules.modules[$0] != nil }
        if !modules.isEmpty {
            out.append("modules:")
            for m in modules {
                let s = rules.setting(for: m)
                out.append("  \(m.rawValue): {enabled: \(s.enabled), priority: \(s.priority)}")
            }
        }
        if !rules.groups.isEmpty { out.append("groups: [\(rules.groups.map(quote).joined(separator: ", "))]") }
        if !rules.services.isEmpty {
            out.append("services:")
            for service in rules.services {
                out.append("  \(quote(service.name)):")
                let own = rules.mappings.filter { $0.service == service.name && $0.field == nil }
                let ownThresholds = rules.thresholds.filter { $0.service == service.name && $0.field == nil }
                if !own.isEmpty { out.append("    mappings:"); out += own.map { "      - " + mapping($0) } }
                if !ownThresholds.isEmpty { out.append("    thresholds:"); out += ownThresholds.map { "      - " + threshold($0) } }
                if !service.fields.isEmpty {
                    out.append("    fields:")
                    for field in service.fields {
                        let ms = rules.mappings.filter { $0.service == service.name && $0.field == field }
                        let ts = rules.thresholds.filter { $0.service == service.name && $0.field == field }
                        if ms.isEmpty && ts.isEmpty { out.append("      \(quote(field)):"); continue }
                        out.append("      \(quote(field)):")
                        if !ms.isEmpty { out.append("        mappings:"); out += ms.map { "          - " + mapping($0) } }
                        if !ts.isEmpty { out.append("        thresholds:"); out += ts.map { "          - " + threshold($0) } }
                    }
                }
                if own.isEmpty && ownThresholds.isEmpty && service.fields.isEmpty { out[out.count - 1] += " {}" }
            }
        }
        if !rules.tiers.isEmpty {
            out.append("tiers:")
            out += rules.tiers.map { "  - " + tier($0) }
        }
        if !rules.scripts.isEmpty {
            out.append("scripts:")
            out += rules.scripts.map { s in "  - {" + (["id: \(quote(s.id))", "source: \(quote(s.source))"] + validity(s.validity)).joined(separator: ", ") + "}" }
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func mapping(_ m: HashMapping) -> String {
        var parts = ["id: \(quote(m.id))"]
        if let value = m.value { parts.append("value: \(quote(value))") }
        parts += ["type: \(m.type.rawValue)", "cost: \(m.cost.canonicalText)"]
        if let group = m.group { parts.append("group: \(quote(group))") }
        if let tenant = m.tenant { parts.append("tenant: \(quote(tenant))") }
        return "{" + (parts + validity(m.validity)).joined(separator: ", ") + "}"
    }

    static func threshold(_ t: HashThreshold) -> String {
        var parts = ["id: \(quote(t.id))", "level: \(t.level.canonicalText)", "type: \(t.type.rawValue)", "cost: \(t.cost.canonicalText)"]
        if let group = t.group { parts.append("group: \(quote(group))") }
        if let tenant = t.tenant { parts.append("tenant: \(quote(tenant))") }
        return "{" + (parts + validity(t.validity)).joined(separator: ", ") + "}"
    }

    static func tier(_ r: TierRule) -> String {
        let s = r.schedule
        var parts = ["id: \(quote(r.id))", "service: \(quote(r.service))", "mode: \(s.mode.rawValue)"]
        switch r.cycle {
        case .calendarMonth(let offset):
            let sign = offset < 0 ? "-" : "+", a = abs(offset)
            parts.append("cycle: {every: month, utc_offset: \"\(sign)\(pad(a / 3600)):\(pad(a % 3600 / 60))\"}")
        case .fixed(let seconds, let anchor):
            parts.append("cycle: {every_seconds: \(seconds), anchor: \(quote(Timestamps.iso8601(anchor)))}")
        }
        parts.append("package: {size: \(s.packageSize.canonicalText), price: \(s.packagePrice.canonicalText)}")
        parts.append("free: \(s.freeAllowance.canonicalText)")
        parts.append("minimum: \(s.minimumCharge.canonicalText)")
        let bands = s.tiers.map { band in
            "{" + ((band.upTo.map { ["up_to: \($0.canonicalText)"] } ?? [])
                   + ["unit_price: \(band.unitPrice.canonicalText)", "flat_fee: \(band.flatFee.canonicalText)"]).joined(separator: ", ") + "}"
        }
        parts.append("tiers: [\(bands.joined(separator: ", "))]")
        if let tenant = r.tenant { parts.append("tenant: \(quote(tenant))") }
        return "{" + (parts + validity(r.validity)).joined(separator: ", ") + "}"
    }

    static func validity(_ v: RuleValidity) -> [String] {
        var parts: [String] = []
        if v.start != .distantPast { parts.append("start: \(quote(Timestamps.iso8601(v.start)))") }
        if let end = v.end { parts.append("end: \(quote(Timestamps.iso8601(end)))") }
        return parts
    }

    static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// A JSON string: YAML reads it as the same text, whatever it contains.
    static func quote(_ s: String) -> String { CanonicalJSON.quoted(s) }
}
