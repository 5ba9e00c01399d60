import Testing
@testable import TallyCore
import TallySeededRandom

/// The fold's clash index keys rules by `RuleClashKey` (declarations as their interned
/// target numbers) where the checker joins the names into one string. These hold the two
/// to the same verdict: two rules get equal keys exactly when their joined keys are
/// equal, names that hold the separator (U+001F) included, where the joined key can
/// clash across parts.
struct RuleClashKeyTests {
    /// Few names, some with the separator, so that equal and colliding keys both occur.
    static let names = ["a", "b", "a\u{1F}b", "\u{1F}", "b\u{1F}"]

    typealias Numbers = SplitMix64

    /// A state where every name is a group and a service with every name as a field.
    static func declaredState() -> RuleLogState {
        var log = RL.Log()
        for name in names {
            log.add(.create(.group(name)), recorded: 0, start: 0, id: "g-\(name)")
            log.add(.create(.service(ServiceDeclaration(name: name, fields: names))), recorded: 0, start: 0, id: "s-\(name)")
        }
        return log.state
    }

    static func item(_ r: inout Numbers) -> RuleItem {
        func name() -> String { names[r.next(names.count)] }
        func maybe() -> String? { r.next(3) == 0 ? nil : name() }
        let levels = ["1", "1.0", "2"]
        switch r.next(5) {
        case 0: return .mapping(HashMapping(id: "m", service: name(), field: nil, value: nil, type: .flat,
                                            cost: RL.d("1"), group: maybe(), tenant: maybe()))
        case 1, 2: return .mapping(HashMapping(id: "m", service: name(), field: name(), value: name(), type: .flat,
                                               cost: RL.d("1"), group: maybe(), tenant: maybe()))
        case 3: return .threshold(HashThreshold(id: "t", service: name(), field: maybe(), level: RL.d(levels[r.next(3)]),
                                                type: .flat, cost: RL.d("1"), group: maybe(), tenant: maybe()))
        default:
            return .tier(TierRule(id: "r", service: name(), schedule: TierSchedule(mode: .graduated, tiers: [
                TierSchedule.Tier(upTo: nil, unitPrice: RL.d("1"))]), tenant: maybe()))
        }
    }

    @Test func keysAreEqualExactlyWhenTheJoinedKeysAre() {
        let state = Self.declaredState()
        #expect(state.rejected.isEmpty)
        var r = Numbers(state: 42)
        let items = (0..<600).map { _ in Self.item(&r) }
        let keys = items.map { state.clashKey($0) }
        let joined = items.map { RuleLogState.joinedClashKey($0) }
        var equal = 0, acrossParts = 0
        for i in items.indices { for j in items.indices where i < j {
            #expect((keys[i] == keys[j]) == (joined[i] == joined[j]), "\(items[i]) / \(items[j])")
            if joined[i] == joined[j] {
                equal += 1
                // Two mappings differ only in their names.
                if case .mapping = items[i], case .mapping = items[j], items[i] != items[j] { acrossParts += 1 }
            }
        } }
        // Both verdicts occur, and so do joined keys equal only through the separator.
        #expect(equal > 100 && acrossParts > 0, "equal \(equal), across parts \(acrossParts)")
    }

    @Test func keysFromTheCheckMatchKeysLookedUp() {
        // The check builds the key from the numbers it found (`requireAttachment`); the
        // commit of an update and a snapshot's rebuild look them up: both must agree.
        let state = Self.declaredState()
        var r = Numbers(state: 7)
        let later = RuleValidity(start: RL.hour(1), end: nil)
        for _ in 0..<300 {
            let item = Self.item(&r)
            var found = RuleIndexing(clashKey: nil)
            switch item {
            case .mapping(let m):
                found = try! state.requireAttachment(service: m.service, field: m.field, group: m.group, later)
            case .threshold(let t):
                found = try! state.requireAttachment(service: t.service, field: t.field, group: t.group, later)
            default: break
            }
            #expect(state.clashKey(item, found: found) == state.clashKey(item), "\(item)")
        }
    }

    @Test func theSeparatorTestReadsTheBytesAsTheUTF8ViewDoes() {
        // Random names of 0 to 40 units (small and heap strings) from pieces that hold the
        // separator, other control bytes, ASCII and multi-byte characters.
        let pieces = ["a", "\u{1F}", "\u{1E}", "\u{7F}", "é", "e\u{301}", "\u{1F}\u{301}", "服", "🜁", "-0123456789"]
        var r = Numbers(state: 31)
        var held = 0
        for _ in 0..<2_000 {
            var name = ""
            while name.utf8.count < r.next(41) { name += pieces[r.next(pieces.count)] }
            let expected = name.utf8.contains(0x1F)
            #expect(RuleLogState.holdsSeparator(name) == expected, "\(Array(name.utf8))")
            if expected { held += 1 }
        }
        #expect(held > 200 && held < 1_800, "\(held) of 2,000 names hold the separator")
    }
}
