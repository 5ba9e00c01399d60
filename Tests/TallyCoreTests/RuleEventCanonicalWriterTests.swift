import PropertyBased
import Testing
@testable import TallyCore

/// The direct canonical writer (`canonicalBytes`) against the reference tree encoding
/// (`canonicalJSON(includingHash:).bytes`) on random events of every change shape: a
/// key written out of order, an optional member written when absent or an escape
/// missed makes them differ, and every stored hash would stop matching.
@Suite struct RuleEventCanonicalWriterTests {
    static let texts = ["a", "", "compute", "m1.\"tiny\"", "back\\slash", "tab\there", "new\nline", "ünï", "\u{1}ctl", "☃"]

    /// One event from a list of random numbers; each number picks a part of it.
    static func event(_ r: [Int]) -> RuleEvent {
        var i = 0
        func next() -> Int { defer { i += 1 }; return abs(r[i % r.count] &+ i &* 7919) }
        func text() -> String { texts[next() % texts.count] }
        func maybe() -> String? { next() % 2 == 0 ? nil : text() }
        func decimal() -> ExactDecimal {
            ExactDecimal(coefficient: Int128(next() % 20_001) - 10_000, exponent: -Int32(next() % 5))
        }
        func time() -> EventTime { EventTime(micros: 1_767_225_600_000_000 + Int64(next() % 3) * Int64(next() % 1_000_000_007)) }
        func item() -> RuleItem {
            switch next() % 7 {
            case 0: return .group(text())
            case 1: return .service(ServiceDeclaration(name: text(), fields: (0..<(next() % 3)).map { _ in text() }))
            case 2: return .field(service: text(), name: text())
            case 3:
                return .mapping(HashMapping(id: text(), service: text(), field: maybe(), value: maybe(),
                                            type: next() % 2 == 0 ? .flat : .rate, cost: decimal(), group: maybe(), tenant: maybe()))
            case 4:
                return .threshold(HashThreshold(id: text(), service: text(), field: maybe(), level: decimal(),
                                                type: next() % 2 == 0 ? .flat : .rate, cost: decimal(), group: maybe(), tenant: maybe()))
            case 5: return .script(ScriptRule(id: text(), source: text()))
            default:
                let schedule = TierSchedule(mode: .graduated, tiers: [TierSchedule.Tier(upTo: nil, unitPrice: decimal())])
                return .tier(TierRule(id: text(), service: text(), schedule: schedule, tenant: maybe()))
            }
        }
        func target() -> RuleTarget {
            switch next() % 4 {
            case 0: return .group(text())
            case 1: return .service(text())
            case 2: return .field(service: text(), name: text())
            default: return .rule(RuleItemKind.allCases[next() % RuleItemKind.allCases.count], text())
            }
        }
        func change(batchAllowed: Bool) -> RuleChange {
            let module = RatingModuleKind.allCases[next() % RatingModuleKind.allCases.count]
            switch next() % (batchAllowed ? 8 : 7) {
            case 0, 1: return .create(item())
            case 2: return .update(item())
            case 3: return .end(target())
            case 4: return .delete(target())
            case 5: return next() % 2 == 0 ? .enableModule(module) : .disableModule(module)
            case 6: return .setModulePriority(module, next() % 200 - 100)
            default:
                return .batch((0..<(1 + next() % 3)).map { _ in
                    PlannedRuleChange(change: change(batchAllowed: false), start: time(), end: next() % 2 == 0 ? nil : time())
                })
            }
        }
        var event = RuleEvent(id: text(), author: text(), reason: text(), recordedAt: time(), start: time(),
                              end: next() % 2 == 0 ? nil : time(), force: next() % 2 == 0, change: change(batchAllowed: true),
                              previousHash: text(), hash: text())
        if next() % 2 == 0 { event.signature = RuleEventSignature(key: text(), value: text()) }
        return event
    }

    @Test func directBytesEqualTheTreeEncoding() async {
        await propertyCheck(count: 1_000, input: Gen.int(in: 0...1_000_000).array(of: 1...16)) { numbers in
            let e = Self.event(numbers)
            #expect(e.canonicalBytes(includingHash: true) == e.canonicalJSON(includingHash: true).bytes, "\(e)")
            #expect(e.canonicalBytes(includingHash: false) == e.canonicalJSON(includingHash: false).bytes, "\(e)")
        }
    }
}
