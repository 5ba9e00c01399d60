import Testing
@testable import TallyCore

/// `RuleItem.dated(_:)` skips the rebuild when the item already carries the validity;
/// it must still answer exactly what `with(validity:)` answers, carried or not.
@Suite struct RuleLogItemDatingTests {
    static let t0 = EventTime(micros: 1_767_225_600_000_000)
    static let validities = [RuleValidity(start: t0), RuleValidity(start: t0, end: EventTime(micros: t0.micros + 60_000_000)),
                             RuleValidity.always]

    static func items(carrying v: RuleValidity) -> [RuleItem] {
        [.group("g"), .service(ServiceDeclaration(name: "s", fields: ["f"])), .field(service: "s", name: "f"),
         .mapping(HashMapping(id: "m", service: "s", field: "f", value: "x", type: .flat, cost: ExactDecimal("0.1")!,
                              group: "g", validity: v)),
         .threshold(HashThreshold(id: "t", service: "s", field: nil, level: ExactDecimal("2")!, type: .rate,
                                  cost: ExactDecimal("0.5")!, validity: v)),
         .script(ScriptRule(id: "p", source: "return 0", validity: v))]
    }

    @Test func datedEqualsWithValidityWhetherCarriedOrNot() {
        for carried in Self.validities {
            for item in Self.items(carrying: carried) {
                for wanted in Self.validities {
                    #expect(item.dated(wanted) == item.with(validity: wanted), "\(item) → \(wanted)")
                }
            }
        }
    }
}
