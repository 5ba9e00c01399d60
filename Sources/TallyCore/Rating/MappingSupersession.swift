/// The one dated overlap CloudKitty's hashmap accepts between two mappings with the same
/// key (service mapping: service, group, tenant; field mapping: service, field, value,
/// group, tenant): a bounded mapping, then a **later-created** open-ended one that starts
/// inside the bounded one's window. Its overlap check lets that through (the 409 is only
/// raised for the other shapes), and while both are live its loader keeps the later-created
/// one (it overwrites the earlier entry under the same key). docs/RATING.md, "Dated
/// overlaps". Thresholds and tiers keep the strict rule: no overlap at all.

extension RuleValidity {
    /// Whether a mapping valid over `self`, created after one valid over `earlier` with
    /// the same key, is accepted although the two overlap: `earlier` is bounded, `self`
    /// is open-ended and starts strictly after `earlier` starts and before it ends.
    public func supersedesLater(_ earlier: RuleValidity) -> Bool {
        guard end == nil, let earlierEnd = earlier.end else { return false }
        return earlier.start < start && start < earlierEnd
    }

    /// Whether two mappings with the same key may both be declared: no overlap, or the
    /// later-created one supersedes the earlier as CloudKitty accepts.
    public func mayCoexist(asLaterCreatedThan earlier: RuleValidity) -> Bool {
        !overlaps(earlier) || supersedesLater(earlier)
    }
}

extension LiveRules {
    /// Live mappings with the same key (tenant included): the later-created one wins, in
    /// the earlier one's place (as CloudKitty's loader overwrites a dictionary entry).
    /// Only a `supersedesLater` pair can get here; validation refuses every other overlap.
    static func laterCreatedWins(_ mappings: [HashMapping]) -> [HashMapping] {
        // Only a bounded mapping can be superseded (`supersedesLater`); without one in
        // force, validation has already left one mapping per key.
        guard mappings.contains(where: { $0.validity.end != nil }) else { return mappings }
        var result: [HashMapping] = []
        result.reserveCapacity(mappings.count)
        var position: [String: Int] = [:]
        for m in mappings {
            let key = "\(m.service)\u{1F}\(m.field ?? "")\u{1F}\(m.value ?? "")\u{1F}\(m.group ?? "")\u{1F}\(m.tenant ?? "")"
            if let i = position[key] { result[i] = m } else {
                position[key] = result.count
                result.append(m)
            }
        }
        return result
    }
}
