/// Enumerating the fold, for readers that list items rather than price with them (the
/// CloudKitty hashmap API lists services, fields, groups, mappings and thresholds,
/// deleted ones included on request).

extension RuleLogState {
    /// Every item some accepted event created, each once, in first-creation order.
    public var itemTargets: [RuleTarget] {
        // An item's first incarnation is created before any later one.
        order.compactMap { key in key.incarnation == 0 ? key.target : nil }
    }
}
