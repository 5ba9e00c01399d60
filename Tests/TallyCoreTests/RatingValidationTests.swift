import Testing
@testable import TallyCore

@Suite struct RatingValidationTests {
    func problems(_ build: () throws -> RuleBook) -> [RuleProblem] {
        do { _ = try build(); return [] } catch let error as RuleSetValidationError { return error.problems } catch {
            Issue.record("unexpected \(error)"); return []
        }
    }

    func expectProblem(_ rule: String, _ fragment: String, _ build: () throws -> RuleBook) {
        let found = problems(build)
        #expect(found.contains { $0.rule == rule && $0.description.contains(fragment) }, "got \(found)")
    }

    @Test func rejectsInvalidRulesNamingTheRule() {
        expectProblem("dup2", "duplicate value") {
            try RT.book(mappings: [RT.fm("dup1", "flavor", "m1.nano", .flat, "1"), RT.fm("dup2", "flavor", "m1.nano", .rate, "2")])
        }
        expectProblem("s", "cannot have a value") {
            try RT.book(mappings: [HashMapping(id: "s", service: "compute", value: "x", type: .flat, cost: .one)])
        }
        expectProblem("f", "needs a value") {
            try RT.book(mappings: [HashMapping(id: "f", service: "compute", field: "flavor", type: .flat, cost: .one)])
        }
        expectProblem("e", "end is not after start") {
            try RT.book(mappings: [RT.sm("e", .flat, "1", validity: RuleValidity(start: RT.t0, end: RT.t0))])
        }
        expectProblem("g", "unknown group 'nope'") { try RT.book(mappings: [RT.sm("g", .flat, "1", group: "nope")]) }
        expectProblem("x", "unknown service 'network'") { try RT.book(mappings: [RT.sm("x", .flat, "1", service: "network")]) }
        expectProblem("y", "unknown field 'colour'") { try RT.book(mappings: [RT.fm("y", "colour", "red", .flat, "1")]) }
        expectProblem("b", "second service mapping") {
            try RT.book(groups: ["G"], mappings: [RT.sm("a", .flat, "1", group: "G"), RT.sm("b", .flat, "2", group: "G")])
        }
        expectProblem("a", "rule id used more than once") {
            try RT.book(mappings: [RT.sm("a", .flat, "1")], thresholds: [RT.th("a", "1", .flat, "1")])
        }
        expectProblem("t2", "duplicate threshold level") {
            try RT.book(thresholds: [RT.th("t1", "10", .flat, "1"), RT.th("t2", "10.0", .rate, "2")])
        }
        expectProblem("tier", "last tier must be unbounded") {
            try RT.book(tiers: [TierRule(id: "tier", service: "compute",
                                         schedule: TierSchedule(mode: .graduated, tiers: [.init(upTo: .one, unitPrice: .one)]))])
        }
    }

    @Test func acceptsRulesThatDoNotOverlapInTimeOrTenant() throws {
        let t = RT.t0
        _ = try RT.book(mappings: [
            RT.sm("a", .flat, "1", validity: RuleValidity(end: t)),
            RT.sm("b", .flat, "2", validity: RuleValidity(start: t)),
            RT.sm("c", .flat, "3", tenant: "acme"),
        ])
    }

    @Test func collectsEveryProblem() {
        let found = problems { try RT.book(mappings: [RT.sm("a", .flat, "1", group: "x"), RT.sm("b", .flat, "1", service: "y")]) }
        #expect(found.count == 2)
    }
}

@Suite struct RatingPipelineTests {
    struct Doubler: ScriptEvaluator {
        func evaluate(script: ScriptRule, input: RatingInput, currentPrice: ExactDecimal) throws -> ExactDecimal {
            currentPrice * ExactDecimal(2)
        }
    }
    struct Failing: ScriptEvaluator {
        struct Boom: Error {}
        func evaluate(script: ScriptRule, input: RatingInput, currentPrice: ExactDecimal) throws -> ExactDecimal { throw Boom() }
    }

    func book(script: Int, hashmap: Int) throws -> RuleBook {
        try RuleBook(validating: RuleSet(services: [RT.computeService], mappings: [RT.sm("m", .flat, "1")],
                                         scripts: [ScriptRule(id: "double", source: "return price * 2")],
                                         modules: [.script: ModuleSetting(enabled: true, priority: script),
                                                   .hashmap: ModuleSetting(enabled: true, priority: hashmap)]))
    }

    @Test func modulesRunByPriorityHighestFirst() throws {
        let input = RT.input(qty: "3", [])
        #expect(Rater(book: try book(script: 1, hashmap: 5), scriptEvaluator: Doubler()).rate(input).price == ExactDecimal(6))
        #expect(Rater(book: try book(script: 5, hashmap: 1), scriptEvaluator: Doubler()).rate(input).price == ExactDecimal(3))
        let order = try book(script: 5, hashmap: 1).moduleOrder
        #expect(order.first == .script && order.contains(.hashmap))
    }

    @Test func aFailingModuleMarksTheWindowFailed() throws {
        let r = Rater(book: try book(script: 1, hashmap: 5), scriptEvaluator: Failing()).rate(RT.input(qty: "3", []))
        guard case .failed(let reason) = r.status else { Issue.record("not failed"); return }
        #expect(reason.contains("double"))
        let missing = Rater(book: try book(script: 1, hashmap: 5)).rate(RT.input(qty: "3", []))
        #expect(!missing.isRated)
    }

    @Test func disabledModulesDoNothing() throws {
        let rules = RuleSet(services: [RT.computeService], mappings: [RT.sm("m", .flat, "1")],
                            modules: [.hashmap: ModuleSetting(enabled: false, priority: 1)])
        #expect(Rater(book: try RuleBook(validating: rules)).rate(RT.input(qty: "3", [])).price == .zero)
    }

    @Test func explanationJSONIsCanonicalAndComplete() throws {
        let book = try RT.book(groups: ["T"], mappings: [RT.fm("f1", "flavor", "m1.nano", .flat, "1.337", group: "T"),
                                                         RT.fm("f2", "image_id", RT.imageB, .rate, "1.10", group: "T")],
                               thresholds: [RT.th("t1", field: "memory", "64", .flat, "0.1")])
        let result = Rater(book: book).rate(RT.points[3])
        let json = result.explanation.canonicalJSON
        #expect(json == Rater(book: book).rate(RT.points[3]).explanation.canonicalJSON)
        #expect(json.hasPrefix("[{\"groups\":[{\"flat\":\"1.337\""))
        #expect(json.contains("\"mappings\":[\"f1\",\"f2\"]"))
        #expect(json.contains("\"threshold\":{\"cost\":\"0.1\",\"id\":\"t1\",\"level\":\"64\",\"scope\":\"field\",\"type\":\"flat\"}"))
        #expect(json.contains("res = rate × flat × qty = 1.1 × 1.337 × 1 = 1.4707"))
        #expect(json.contains("\"price_after\":\"1.5707\""))
        #expect(Rater(book: book).rate(RT.points[3], explain: false).price == result.price)
    }
}
