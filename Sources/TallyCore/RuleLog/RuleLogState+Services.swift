/// Questions a pricer asks about the whole log rather than one instant.

extension RuleLogState {
    /// The services that have a tier rule in some incarnation that ever applies (any
    /// epoch, as known now): their windows are priced on cumulative usage.
    public func servicesWithTierRules() -> Set<String> {
        var services: Set<String> = []
        for history in histories {
            for revision in history.revisions where revision.everApplies {
                if case .tier(let tier) = revision.item { services.insert(tier.service) }
            }
        }
        return services
    }
}
