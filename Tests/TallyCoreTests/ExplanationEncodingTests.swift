import Testing
@testable import TallyCore

/// The explanation's direct encoder (used by frames) must write exactly the canonical
/// encoding of its tree (`json`), for every kind of module step.
@Suite struct ExplanationEncodingTests {
    static func d(_ text: String) -> ExactDecimal { ExactDecimal(text)! }

    static let groups = [
        GroupStep(group: "flavor", mappings: ["fl-1", "im-\"2\""], flat: d("0.0370"), rate: d("1.01"),
                  threshold: ThresholdStep(id: "mem-1", onService: false, level: d("1024"), type: .flat, cost: d("0.002")),
                  quantity: d("2.5"), result: d("0.097625")),
        GroupStep(group: nil, mappings: [], flat: .zero, rate: .one,
                  threshold: ThresholdStep(id: "qty-0", onService: true, level: d("0"), type: .rate, cost: d("0.99")),
                  quantity: d("2.5"), result: d("0")),
        GroupStep(group: "extras", mappings: ["rg-3"], flat: d("0.0004"), rate: .one, threshold: nil,
                  quantity: d("-3E+2"), result: d("-0.12")),
        GroupStep(group: "rate-field", mappings: ["a", "b", "c"], flat: d("1"), rate: d("0.5"),
                  threshold: ThresholdStep(id: "vcpu-4", onService: false, level: d("4"), type: .rate, cost: d("1.25")),
                  quantity: d("0.000001"), result: d("0.000000625")),
        GroupStep(group: "flat-service", mappings: [], flat: d("0.1"), rate: d("1"),
                  threshold: ThresholdStep(id: "qty-big", onService: true, level: d("1E+3"), type: .flat, cost: d("-5")),
                  quantity: d("12345678901234567890.5"), result: d("1234567890123456784.05")),
    ]

    static let explanations: [Explanation] = [
        Explanation(),
        Explanation(modules: [
            ModuleStep(module: .hashmap, priceBefore: .zero, priceAfter: d("0.097625"), detail: .hashmap(groups)),
            ModuleStep(module: .tiers, priceBefore: d("0.097625"), priceAfter: d("1.5"), detail: .tiers(
                TierStep(id: "compute-tiers", cycleStart: EventTime(micros: -5), priorQuantity: d("950"), priorWindows: 12,
                         quantity: d("0.10"), cumulativeBefore: d("84.50"), cumulativeAfter: d("85.9")))),
            ModuleStep(module: .tiers, priceBefore: d("1.5"), priceAfter: d("1.5"), detail: .tiers(nil)),
            ModuleStep(module: .script, priceBefore: d("1.5"), priceAfter: d("2"), detail: .script(["s1", "s\n2"])),
            ModuleStep(module: .noop, priceBefore: d("2"), priceAfter: d("2"), detail: .noop),
        ]),
        Explanation(modules: [
            ModuleStep(module: .hashmap, priceBefore: .zero, priceAfter: .zero, detail: .hashmap([])),
            ModuleStep(module: .script, priceBefore: .zero, priceAfter: .zero, detail: .failed("script 'x' failed: \u{1}boom")),
        ]),
    ]

    /// Texts that need escaping take the writer's slow path; the rest are copied.
    @Test func stringsEscapeLikeTheTree() {
        for text in ["", "plain", "q\"uote", "back\\slash", "ctl\u{1}\n\t", "×€ unicode", String(repeating: "long ", count: 600)] {
            var w = CanonicalWriter(capacity: 8)
            w.string(text)
            #expect(w.bytes == CanonicalJSON.string(text).bytes)
        }
    }

    @Test(arguments: 0..<explanations.count)
    func directEncodingEqualsTheTree(_ i: Int) {
        let explanation = Self.explanations[i]
        #expect(explanation.canonicalBytes == explanation.json.bytes)
    }

    /// Money written straight to bytes must be `canonicalText` exactly: trailing zeros,
    /// leading zeros after the point, positive exponents, negatives, 128-bit coefficients.
    @Test func decimalsWriteTheirCanonicalText() {
        var coefficients: [Int128] = [0, 1, -1, 7, 10, -10, 100, 1_234_500, 999_999_999_999, Int128(UInt64.max),
                                      Int128(UInt64.max) + 1, -Int128(UInt64.max) * 1000, .max, .min, .max / 10 * 10]
        var power: Int128 = 1
        for _ in 0..<38 { coefficients.append(power); coefficients.append(-power * 3); power *= 10 }
        for c in coefficients {
            for e in Int32(-40)...Int32(6) {
                let value = ExactDecimal(coefficient: c, exponent: e)
                var out: [UInt8] = []
                CanonicalJSON.writeDecimal(value, into: &out)
                #expect(String(decoding: out, as: UTF8.self) == "\"\(value.canonicalText)\"", "\(c)e\(e)")
                var w = CanonicalWriter(capacity: 8)  // small: the writer must grow too
                w.decimal(value)
                #expect(w.bytes == out, "writer, \(c)e\(e)")
            }
        }
    }

    @Test func integersWriteTheirDecimalText() {
        for value: Int64 in [0, 1, -1, 9, 10, -10, 1_234_567_890, .max, .min] {
            var out: [UInt8] = []
            CanonicalJSON.writeInteger(value, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
            var w = CanonicalWriter(capacity: 8)
            w.integer(value)
            #expect(w.bytes == out)
        }
    }

    /// A window priced by the hashmap alone keeps the module's trace; its bytes, written
    /// from the trace, must be the tree's of the steps it stands for: names that need
    /// escaping, the default group, service and field thresholds of both types, a tenant
    /// overlay (rule and group numbers continuing the global index's), mappings in order.
    @Test func aHashmapTraceEncodesLikeItsSteps() throws {
        let book = try RT.book(groups: ["g\"1", "é×", "rates", "tenant\tonly"], mappings: [
            RT.sm("svc \"base\"", .flat, "0.5", group: "g\"1"),
            RT.sm("svc-default", .flat, "2"),
            RT.fm("nano", "flavor", "m1.nano", .flat, "1.337", group: "é×"),
            RT.fm("nano-rate", "flavor", "m1.nano", .rate, "1.1", group: "rates"),
            RT.fm("img", "image_id", RT.imageB, .rate, "1.10", group: "é×"),
            RT.fm("nano-tenant", "flavor", "m1.nano", .flat, "3", group: "é×", tenant: "acme"),
            RT.fm("tiny-tenant", "flavor", "m1.tiny", .flat, "4", group: "tenant\tonly", tenant: "acme"),
        ], thresholds: [
            RT.th("qty-rate", "1", .rate, "0.9", group: "g\"1"),
            RT.th("qty-flat", "2", .flat, "-0.25"),
            RT.th("mem-flat", field: "memory", "64", .flat, "0.1337", group: "é×"),
            RT.th("mem-rate", field: "memory", "500", .rate, "1.5", group: "rates"),
        ])
        let rater = Rater(book: book)
        var traced = 0
        for scope in [RT.scope, "acme"] {
            for point in RT.points {
                var point = point
                point.scope = scope
                let explanation = rater.rate(point).explanation
                if case .hashmap = explanation.storage { traced += 1 }
                #expect(explanation.canonicalBytes == explanation.json.bytes, "\(scope) \(point.description.text(at: 0))")
                #expect(Explanation(modules: explanation.modules).canonicalBytes == explanation.canonicalBytes)
            }
        }
        #expect(traced == 8)
    }
}
