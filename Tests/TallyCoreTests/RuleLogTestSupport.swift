@testable import TallyCore

/// Builders for rule-log tests: a clock in hours, events chained onto a state.
enum RL {
    /// 2026-01-01T00:00:00Z.
    static let origin = EventTime(micros: 1_767_225_600_000_000)

    static func hour(_ h: Int64) -> EventTime { EventTime(micros: origin.micros + h * 3_600_000_000) }

    static func d(_ text: String) -> ExactDecimal { ExactDecimal(text)! }

    static func mapping(_ id: String, cost: String, service: String = "compute", field: String? = nil,
                        value: String? = nil, type: CostType = .flat, group: String? = nil,
                        tenant: String? = nil) -> HashMapping {
        HashMapping(id: id, service: service, field: field, value: value, type: type, cost: d(cost), group: group, tenant: tenant)
    }

    /// An event recorded at `recorded` hours, effective at `start` hours, chained after `head`.
    static func event(_ change: RuleChange, recorded: Int64, start: Int64, end: Int64? = nil, force: Bool = false,
                      id: String? = nil, head: String, author: String = "alice",
                      reason: String = "test") -> RuleEvent {
        RuleEvent(id: id ?? "evt-\(recorded)-\(start)-\(change.operation)-\(change.target?.description ?? "module")-\(head.prefix(8))",
                  author: author, reason: reason, recordedAt: hour(recorded), start: hour(start),
                  end: end.map(hour), force: force, change: change).sealed(after: head)
    }

    /// A log under construction: each `add` chains onto the state's head and folds.
    struct Log {
        var state = RuleLogState()
        var events: [RuleEvent] = []
        var nextOffset: Int64 = 0

        @discardableResult
        mutating func add(_ change: RuleChange, recorded: Int64, start: Int64, end: Int64? = nil,
                          force: Bool = false, id: String? = nil) -> RuleEventOutcome {
            let e = RL.event(change, recorded: recorded, start: start, end: end, force: force, id: id, head: state.head)
            return append(e)
        }

        @discardableResult
        mutating func append(_ e: RuleEvent) -> RuleEventOutcome {
            events.append(e)
            defer { nextOffset += 1 }
            return state.apply(e, offset: nextOffset)
        }
    }

    /// compute with fields flavor and memory, group g, declared at hour 0.
    static func baseLog() -> Log {
        var log = Log()
        log.add(.create(.group("g")), recorded: 0, start: 0)
        log.add(.create(.service(ServiceDeclaration(name: "compute", fields: ["flavor", "memory"]))), recorded: 0, start: 0)
        return log
    }

    static func window(at t: EventTime, qty: String = "2", scope: String = "tenant-a", flavor: String = "m1.tiny") -> RatingInput {
        RatingInput(service: "compute", scope: scope, resource: "r1", quantity: d(qty), unit: "instance",
                    windowStart: t, windowEnd: EventTime(micros: t.micros + 3_600_000_000),
                    description: RatingDescription([(name: "flavor", kind: .string, text: flavor)]))
    }

    /// The price of `window` under the book in effect at the window's start.
    static func price(_ state: RuleLogState, _ window: RatingInput, asOf version: Int64? = nil) throws -> String {
        let book = try state.ruleBook(at: window.windowStart, asOf: version)
        let result = Rater(book: book).rate(window)
        return result.isRated ? result.price.canonicalText : "failed"
    }
}
