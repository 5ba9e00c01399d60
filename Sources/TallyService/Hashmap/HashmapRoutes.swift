import Hummingbird

/// The hashmap module's configuration API, `/v1/rating/module_config/hashmap/…`
/// (docs/API.md): declarations and rules, every write a rule-log event.
enum HashmapRoutes {
    static func register(on router: Router<TallyRequestContext>, rules: RuleLogView) {
        let api = HashmapAPI(rules: rules)
        // `/v1/billing` is CloudKitty's old name of `/v1/rating`, still served.
        for prefix in ["/v1/rating", "/v1/billing"] {
            let group = router.group(RouterPath("\(prefix)/module_config/hashmap"))
            HashmapDeclarationRoutes.register(on: group, api: api)
            HashmapRuleRoutes.register(on: group, api: api)
        }
    }
}
