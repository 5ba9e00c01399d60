import Testing
@testable import TallyCore

/// Each fine-print rule of rating-semantics.md, one at a time.
@Suite struct RatingFinePrintTests {
    let memoryService = ServiceDeclaration(name: "compute", fields: ["memory", "flavor"])

    func price(_ book: RuleBook, qty: String = "1", _ entries: [(String, MetaKind, String)], scope: String = RT.scope) -> String {
        RT.prices(book, [RT.input(qty: qty, scope: scope, entries)])[0]
    }

    @Test func thresholdLevelsAtOrBelowMinusOneNeverApply() throws {
        let never = try RT.book(thresholds: [RT.th("t", "-1", .flat, "5")])
        #expect(price(never, qty: "0", []) == "0")
        let below = try RT.book(thresholds: [RT.th("t", "-3", .flat, "5")])
        #expect(price(below, qty: "10", []) == "0")
        let between = try RT.book(thresholds: [RT.th("t", "-0.5", .flat, "5")])
        #expect(price(between, qty: "0", []) == "5")
        #expect(price(between, qty: "-0.4", []) == "5")
        #expect(price(between, qty: "-0.6", []) == "0")
    }

    @Test func negativeFlatMappingsNeverApplyButNegativeThresholdsDo() throws {
        let mapping = try RT.book(mappings: [RT.sm("m", .flat, "-2")])
        #expect(price(mapping, qty: "3", []) == "0")
        let threshold = try RT.book(thresholds: [RT.th("t", "0", .flat, "-2")])
        #expect(price(threshold, qty: "3", []) == "-2")
    }

    @Test func serviceFlatThresholdChargesOnceEvenAtZeroQuantity() throws {
        let book = try RT.book(mappings: [RT.sm("m", .flat, "1")], thresholds: [RT.th("t", "0", .flat, "0.5")])
        #expect(price(book, qty: "0", []) == "0.5")
        #expect(price(book, qty: "4", []) == "4.5")
        let rate = try RT.book(mappings: [RT.sm("m", .flat, "1")], thresholds: [RT.th("t", "0", .rate, "0.5")])
        #expect(price(rate, qty: "4", []) == "2")
    }

    @Test func fieldThresholdAdjustsBeforeQuantity() throws {
        let flat = try RT.book(mappings: [RT.sm("m", .flat, "1")], thresholds: [RT.th("t", field: "memory", "64", .flat, "0.5")])
        #expect(price(flat, qty: "4", [("memory", .int, "64")]) == "6")  // (1 + 0.5) × 4
        let rate = try RT.book(mappings: [RT.sm("m", .flat, "1")], thresholds: [RT.th("t", field: "memory", "64", .rate, "3")])
        #expect(price(rate, qty: "4", [("memory", .int, "64")]) == "12")
    }

    @Test func serviceAndFieldThresholdsCompeteOnTheRawLevel() throws {
        let book = try RT.book(thresholds: [RT.th("svc", "100", .flat, "7"), RT.th("fld", field: "memory", "64", .flat, "1")])
        // Both hit: the service threshold (level 100) wins and adds once.
        #expect(price(book, qty: "150", [("memory", .string, "64")]) == "7")
        // Only the field one hits: flat 1 × qty.
        #expect(price(book, qty: "50", [("memory", .string, "64")]) == "50")
        // Equal levels: the service threshold is seen first and a tie does not replace it.
        let tie = try RT.book(thresholds: [RT.th("svc", "64", .flat, "7"), RT.th("fld", field: "memory", "64", .flat, "1")])
        #expect(price(tie, qty: "100", [("memory", .string, "64")]) == "7")
    }

    @Test func metadataNumbersParseLikePythonDecimal() throws {
        let book = try RT.book(thresholds: [RT.th("t", field: "memory", "64", .flat, "1")])
        for text in [" 64", "64.0", "6.4e1", "64 ", "\t64\n", "6_4", "+64", "1e100", "Infinity", "inf"] {
            #expect(price(book, [("memory", .string, text)]) == "1", "\(text)")
        }
        for text in ["63.99999999999999999999999999999999999999999", "-inf", "6.3e1"] {
            #expect(price(book, [("memory", .string, text)]) == "0", "\(text)")
        }
        #expect(price(book, [("memory", .int, "64")]) == "1")
        #expect(price(book, [("memory", .float, "64.0")]) == "1")
        #expect(price(book, [("memory", .bool, "true")]) == "0")  // Decimal(True) == 1
    }

    @Test func jsonFloatsAreTheirExactBinaryValue() throws {
        let book = try RT.book(thresholds: [RT.th("t", field: "memory", "8.1", .flat, "1")])
        #expect(price(book, [("memory", .float, "8.1")]) == "0")  // 8.0999999999999996…
        #expect(price(book, [("memory", .string, "8.1")]) == "1")
        let low = try RT.book(thresholds: [RT.th("t", field: "memory", "0.1", .flat, "1")])
        #expect(price(low, [("memory", .float, "0.1")]) == "1")  // 0.1000000000000000055…
    }

    @Test func nonNumbersOnThresholdFieldsFailTheWindow() throws {
        let book = try RT.book(thresholds: [RT.th("t", field: "memory", "64", .flat, "1")])
        for (kind, text) in [(MetaKind.string, "lots"), (.null, "null"), (.string, ""), (.other, "{}"), (.string, "nan")] {
            let result = Rater(book: book).rate(RT.input(qty: "1", [("memory", kind, text)]))
            guard case .failed(let reason) = result.status else { Issue.record("\(text) did not fail"); continue }
            #expect(reason.contains("memory"))
        }
        // Without thresholds on the field, a non-number is just a non-matching value.
        let mappingOnly = try RT.book(mappings: [RT.fm("m", "memory", "64", .flat, "1")])
        #expect(price(mappingOnly, [("memory", .string, "lots")]) == "0")
    }

    @Test func textMatchingUsesPythonSpellings() throws {
        let book = try RT.book(services: [ServiceDeclaration(name: "compute", fields: ["v"])], mappings: [
            RT.fm("eight", "v", "8", .flat, "1"), RT.fm("eightf", "v", "8.0", .flat, "2"),
            RT.fm("true", "v", "True", .flat, "3"), RT.fm("none", "v", "None", .flat, "4"),
            RT.fm("sixtyfour", "v", "64.0", .flat, "5"), RT.fm("big", "v", "1e+16", .flat, "6"),
        ])
        let cases: [(MetaKind, String, String)] = [
            (.int, "8", "1"), (.float, "8.0", "2"), (.float, "8", "2"), (.string, "8", "1"), (.string, "8.0", "2"),
            (.bool, "true", "3"), (.string, "true", "0"), (.null, "null", "4"), (.float, "6.4e1", "5"),
            (.float, "1e16", "6"), (.string, " 8", "0"), (.string, "none", "0"),
        ]
        for (kind, text, expected) in cases {
            #expect(price(book, [("v", kind, text)]) == expected, "\(kind) \(text)")
        }
    }

    @Test func tenantRulesFollowTheScopeAndReplaceOrAdd() throws {
        let book = try RT.book(groups: ["G"], mappings: [
            RT.fm("global-nano", "flavor", "m1.nano", .flat, "1"),
            RT.fm("tenant-nano", "flavor", "m1.nano", .flat, "5", tenant: "acme"),   // replaces global-nano
            RT.fm("tenant-extra", "flavor", "m1.nano", .flat, "0.5", group: "G", tenant: "acme"),  // added
            RT.sm("global-svc", .flat, "0.1", group: "G"),
        ])
        let p = [("flavor", MetaKind.string, "m1.nano")]
        #expect(price(book, p) == "1.1")
        #expect(price(book, p, scope: "acme") == "5.5")  // 5 + max(0.1, 0.5)
        #expect(price(book, p, scope: "other") == "1.1")
        let rater = Rater(book: book)
        #expect(rater.quote(service: "compute", quantity: .one, description: RT.input(qty: "1", p).description, at: RT.t0).price == RT.d("1.1"))
        #expect(rater.quote(service: "compute", quantity: .one, description: RT.input(qty: "1", p).description, tenant: "acme", at: RT.t0).price == RT.d("5.5"))
    }

    @Test func rulesInForceAtTheWindowStart() throws {
        let t = RT.t0.micros
        let book = try RT.book(mappings: [
            RT.sm("old", .flat, "1", validity: RuleValidity(start: .distantPast, end: EventTime(micros: t))),
            RT.sm("new", .flat, "2", validity: RuleValidity(start: EventTime(micros: t))),
        ])
        #expect(RT.prices(book, [RT.input(qty: "1", at: EventTime(micros: t - 1), [])]) == ["1"])
        #expect(RT.prices(book, [RT.input(qty: "1", at: EventTime(micros: t), [])]) == ["2"])
    }

    @Test func unknownServicesKeepTheIncomingPrice() throws {
        let book = try RT.book(mappings: [RT.sm("m", .flat, "1")])
        let rater = Rater(book: book)
        let r = rater.rate(RT.input(service: "network", qty: "1", []), incomingPrice: RT.d("0.7"))
        #expect(r.price == RT.d("0.7") && r.isRated)
        #expect(rater.rate(RT.input(qty: "2", []), incomingPrice: RT.d("0.7")).price == RT.d("2.7"))
    }

    @Test func arithmeticRoundsLikeCloudKitty() throws {
        // (rate × flat) × qty with 28-digit rounding after each step; Python gives …722,
        // whereas flat × (rate × qty) would give …721.
        let book = try RT.book(mappings: [RT.sm("m", .flat, "0.1234567890123456789012345678"),
                                          RT.fm("r", "flavor", "x", .rate, "1.1")])
        #expect(price(book, qty: "7", [("flavor", .string, "x")]) == "0.9506172753950617275395061722")
    }
}
