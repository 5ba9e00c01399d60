@testable import TallyCore

/// Shared builders for rating tests: the public conformance points and rule helpers.
enum RT {
    static let scope = "f266f30b11f246b589fd266f85eeec39"
    static let imageA = "f5600101-8fa2-4864-899e-ebcb7ed6b568"
    static let imageB = "a41fba37-2429-4f15-aa00-b5bc4bf557bf"
    static let imageC = "0052f884-461d-4e6c-8ed8-7c5e1f1a9c19"
    static let t0 = EventTime(micros: 1_700_000_000_000_000)

    static func d(_ text: String) -> ExactDecimal { ExactDecimal(text)! }

    /// P0–P3 of rating-semantics.md.
    static let points: [RatingInput] = [
        point(flavor: "m1.nano", image: imageA, memory: "64", vcpus: (.int, "1"), qty: "1"),
        point(flavor: "m1.tiny", image: imageB, memory: "512", vcpus: (.string, "1"), qty: "2"),
        point(flavor: "m1.xlarge", image: imageC, memory: "16384", vcpus: (.int, "8"), qty: "2"),
        point(flavor: "m1.nano", image: imageB, memory: "64", vcpus: (.string, "1"), qty: "1"),
    ]

    static func point(flavor: String, image: String, memory: String, vcpus: (MetaKind, String), qty: String,
                      service: String = "compute", scope: String = RT.scope, at: EventTime = RT.t0) -> RatingInput {
        input(service: service, qty: qty, scope: scope, at: at, [
            ("flavor", .string, flavor), ("image_id", .string, image), ("memory", .string, memory),
            ("vcpus", vcpus.0, vcpus.1),
        ])
    }

    static func input(service: String = "compute", qty: String, scope: String = RT.scope, at: EventTime = RT.t0,
                      _ entries: [(String, MetaKind, String)]) -> RatingInput {
        RatingInput(service: service, scope: scope, resource: "r1", quantity: d(qty), unit: "instance",
                    windowStart: at, windowEnd: EventTime(micros: at.micros + 3_600_000_000),
                    description: RatingDescription(entries.map { (name: $0.0, kind: $0.1, text: $0.2) }))
    }

    static let computeService = ServiceDeclaration(name: "compute", fields: ["flavor", "image_id", "memory", "vcpus"])

    static func book(groups: [String] = [], services: [ServiceDeclaration] = [computeService],
                     mappings: [HashMapping] = [], thresholds: [HashThreshold] = [], tiers: [TierRule] = [],
                     modules: [RatingModuleKind: ModuleSetting] = [:]) throws -> RuleBook {
        try RuleBook(validating: RuleSet(groups: groups, services: services, mappings: mappings,
                                         thresholds: thresholds, tiers: tiers, modules: modules))
    }

    static func sm(_ id: String, _ type: CostType, _ cost: String, group: String? = nil, tenant: String? = nil,
                   service: String = "compute", validity: RuleValidity = .always) -> HashMapping {
        HashMapping(id: id, service: service, type: type, cost: d(cost), group: group, tenant: tenant, validity: validity)
    }

    static func fm(_ id: String, _ field: String, _ value: String, _ type: CostType, _ cost: String,
                   group: String? = nil, tenant: String? = nil, service: String = "compute",
                   validity: RuleValidity = .always) -> HashMapping {
        HashMapping(id: id, service: service, field: field, value: value, type: type, cost: d(cost), group: group,
                    tenant: tenant, validity: validity)
    }

    static func th(_ id: String, field: String? = nil, _ level: String, _ type: CostType, _ cost: String,
                   group: String? = nil, tenant: String? = nil, service: String = "compute") -> HashThreshold {
        HashThreshold(id: id, service: service, field: field, level: d(level), type: type, cost: d(cost),
                      group: group, tenant: tenant)
    }

    /// Prices of P0–P3 (or `points`) under `book`; a failed window records an issue.
    static func prices(_ book: RuleBook, _ points: [RatingInput] = RT.points) -> [String] {
        let rater = Rater(book: book)
        return points.map { p in
            let r = rater.rate(p)
            return r.isRated ? r.price.canonicalText : "failed: \(r.status)"
        }
    }
}
