import Testing
@testable import TallyCore

/// Snapshots, racing writers, the writer's check, the chain verifier and the diff.
struct RuleLogChainTests {
    /// A log with every kind of change, one rejection and a racing writer's event.
    static func busyLog() -> RL.Log {
        var log = RL.baseLog()
        log.add(.create(.mapping(RL.mapping("base", cost: "0.10", group: "g"))), recorded: 1, start: 1)
        log.add(.create(.threshold(HashThreshold(id: "big", service: "compute", level: RL.d("100"), type: .rate,
                                                 cost: RL.d("0.9")))), recorded: 1, start: 1)
        log.add(.create(.tier(TierRule(id: "egress", service: "net", schedule: TierSchedule(mode: .package, packageSize: RL.d("10"),
                                                                                            packagePrice: RL.d("2")),
                                       cycle: .fixed(seconds: 86_400)))), recorded: 1, start: 2)
        log.add(.create(.script(ScriptRule(id: "s", source: "return price"))), recorded: 1, start: 30, end: 40)
        log.add(.create(.group("g")), recorded: 2, start: 2)                       // rejected: duplicate
        let stale = RL.event(.create(.group("raced")), recorded: 2, start: 3, head: log.events[1].hash)
        log.append(stale)                                                          // rejected: stale-head
        log.add(.end(.rule(.mapping, "base")), recorded: 3, start: 10)
        log.add(.create(.mapping(RL.mapping("base", cost: "0.12", group: "g", tenant: "acme"))), recorded: 3, start: 10)
        log.add(.setModulePriority(.script, 9), recorded: 3, start: 4)
        log.add(.create(.field(service: "compute", name: "disk")), recorded: 3, start: 4)
        log.add(.delete(.rule(.script, "s")), recorded: 4, start: 4)
        return log
    }

    @Test func snapshotPlusTailEqualsFullRefold() throws {
        let full = Self.busyLog()
        #expect(full.state.rejected.map(\.rejection.code) == [.duplicate, .staleHead])
        for cut in [0, 3, 7, 8, full.events.count] {
            var partial = RuleLogState()
            for (i, e) in full.events.prefix(cut).enumerated() { partial.apply(e, offset: Int64(i)) }
            var restored = try RuleLogState(decoding: partial.encode())
            #expect(restored.encode() == partial.encode())
            for (i, e) in full.events.enumerated().dropFirst(cut) { restored.apply(e, offset: Int64(i)) }
            #expect(restored.encode() == full.state.encode(), "cut at \(cut)")
            #expect(restored.head == full.state.head && restored.version == full.state.version)
            for h in [0, 5, 10, 35] {
                #expect(restored.ruleSet(at: RL.hour(Int64(h))) == full.state.ruleSet(at: RL.hour(Int64(h))))
            }
            // The restored indexes still refuse what the original refuses.
            let clash = RL.event(.create(.mapping(RL.mapping("other", cost: "1", group: "g", tenant: "acme"))),
                                 recorded: 5, start: 12, head: restored.head)
            #expect(restored.rejection(of: clash)?.code == .duplicate)
            // And the users lists rebuilt from the snapshot refuse ending a group or service
            // still in use with the same words.
            for declaration in [RuleTarget.group("g"), .service("compute")] {
                let end = RL.event(.end(declaration), recorded: 5, start: 12, head: restored.head)
                #expect(restored.rejection(of: end) == full.state.rejection(of: end), "cut at \(cut)")
                #expect(restored.rejection(of: end)?.code == .inUse)
            }
        }
    }

    @Test func corruptSnapshotsAreRefused() {
        let bytes = Self.busyLog().state.encode()
        #expect(throws: RuleLogSnapshotError.self) { try RuleLogState(decoding: Array(bytes.dropLast(3))) }
        #expect(throws: RuleLogSnapshotError.self) { try RuleLogState(decoding: Array("TRLX".utf8) + bytes.dropFirst(4)) }
        #expect(throws: RuleLogSnapshotError.self) { try RuleLogState(decoding: bytes + [0]) }
    }

    @Test func aRacingWritersEventIsRejectedIdenticallyByEveryReader() {
        var log = RL.baseLog()
        let head = log.state.head
        let first = RL.event(.create(.mapping(RL.mapping("a", cost: "1"))), recorded: 1, start: 2, id: "w1", head: head)
        let second = RL.event(.create(.mapping(RL.mapping("b", cost: "2", field: "flavor", value: "x"))),
                              recorded: 1, start: 2, id: "w2", head: head)
        #expect(log.state.rejection(of: first) == nil && log.state.rejection(of: second) == nil)
        log.append(first)
        log.append(second)
        var reader = RuleLogState()
        for (i, e) in log.events.enumerated() { reader.apply(e, offset: Int64(i)) }
        #expect(reader.encode() == log.state.encode())
        #expect(reader.rejected.map(\.eventID) == ["w2"])
        #expect(reader.rejected.first?.rejection.code == .staleHead)
        #expect(reader.head == first.hash)
        #expect(reader.ruleSet(at: RL.hour(3)).mappings.map(\.id) == ["a"])
    }

    @Test func theWriterReportsARejectionBeforePublishing() {
        let log = RL.baseLog()
        let good = RuleLogWriter.prepare(changes: [.create(.mapping(RL.mapping("a", cost: "1")))], author: "bob",
                                         reason: "new price", start: RL.hour(5), now: RL.hour(1), head: log.state.head)
        let check = RuleLogWriter.check(good, against: log.state)
        #expect(check.wouldBeAccepted)
        #expect(check.expectedHead == good[0].hash && good[0].previousHash == log.state.head)
        let past = RuleLogWriter.prepare(changes: [.create(.mapping(RL.mapping("a", cost: "1")))], author: "bob",
                                         reason: "oops", start: RL.hour(0), now: RL.hour(1), head: log.state.head)
        #expect(RuleLogWriter.check(past, against: log.state).firstRejection?.rejection.code == .pastStartWithoutForce)
        let forced = RuleLogWriter.prepare(changes: [.create(.mapping(RL.mapping("a", cost: "1")))], author: "bob",
                                           reason: "correction", start: RL.hour(0), force: true, now: RL.hour(1),
                                           head: log.state.head)
        #expect(RuleLogWriter.check(forced, against: log.state).wouldBeAccepted)
        // Prepared against an old head: a reader would call it stale.
        let stale = RuleLogWriter.prepare(changes: [.create(.group("h"))], author: "bob", reason: "r", start: RL.hour(5),
                                          now: RL.hour(1), head: log.events[0].hash)
        #expect(RuleLogWriter.check(stale, against: log.state).firstRejection?.rejection.code == .staleHead)
    }

    @Test func verifierFindsAlteredRemovedAndReorderedEvents() {
        let events = Self.busyLog().events
        func verify(_ list: [(Int64, RuleEvent)]) -> ChainReport {
            var v = RuleChainVerifier()
            for (offset, e) in list { v.check(offset: offset, event: e) }
            return v.report()
        }
        let intact = verify(events.enumerated().map { (Int64($0.offset), $0.element) })
        #expect(intact.isIntact)
        #expect(intact.staleCount == 1 && intact.chainedCount == events.count - 1)
        for i in events.indices {
            var altered = events
            altered[i].reason += "!"
            let problem = verify(altered.enumerated().map { (Int64($0.offset), $0.element) }).firstProblem
            #expect(problem?.kind == .altered && problem?.offset == Int64(i))
            // Removed, offsets kept: a gap. Removed and renumbered: a broken link (unless
            // it was the racing writer's event, which no one links to, or the last one).
            var removed = events.enumerated().map { (Int64($0.offset), $0.element) }
            removed.remove(at: i)
            if i < events.count - 1 { #expect(verify(removed).firstProblem?.kind == .gap) }
            let renumbered = removed.enumerated().map { (Int64($0.offset), $0.element.1) }
            let isStale = events[i].id.contains("raced")
            if i < events.count - 1 && !isStale {
                #expect(verify(renumbered).firstProblem?.kind == .brokenLink, "removing \(i)")
            }
        }
        for i in 0..<(events.count - 1) where !events[i].id.contains("raced") && !events[i + 1].id.contains("raced") {
            var swapped = events
            swapped.swapAt(i, i + 1)
            #expect(verify(swapped.enumerated().map { (Int64($0.offset), $0.element) }).firstProblem?.kind == .brokenLink,
                    "swapping \(i)")
        }
        // Removing the last event is caught only against a known head.
        var truncated = RuleChainVerifier()
        for (i, e) in events.dropLast().enumerated() { truncated.check(offset: Int64(i), event: e) }
        #expect(truncated.report().isIntact)
        #expect(truncated.report(expectedHead: events.last!.hash).firstProblem?.kind == .brokenLink)
    }

    @Test func diffTurnsTheCurrentBookIntoTheTarget() throws {
        var log = Self.busyLog()
        let now = RL.hour(20)
        var target = log.state.currentRules(at: now)
        target.mappings = target.mappings.map { m in
            var m = m
            if m.id == "base" { m.cost = RL.d("0.15"); m.validity = .always }
            return m
        }
        target.thresholds = []
        target.groups.append("premium")
        target.mappings.append(RL.mapping("premium-tiny", cost: "3", field: "disk", value: "ssd", group: "premium"))
        target.modules[.noop] = ModuleSetting(enabled: true, priority: 0)
        let changes = RuleLogDiff.changes(from: log.state.currentRules(at: now), to: target, at: now)
        #expect(changes.map(\.change.operation) == ["create", "delete", "end", "create", "create", "enable"])
        let events = RuleLogWriter.prepare(changes: changes, author: "ops", reason: "apply file", now: now, head: log.state.head)
        #expect(RuleLogWriter.check(events, against: log.state).wouldBeAccepted)
        for e in events { #expect(log.append(e) == .accepted) }
        let after = log.state.ruleSet(at: now)
        #expect(after.contentHash == log.state.currentRules(at: now).contentHash)
        #expect(Set(after.mappings.map(\.id)) == ["base", "premium-tiny"])
        #expect(after.mappings.first { $0.id == "base" }?.cost == RL.d("0.15"))
        // The old price still holds before the change, and nothing is left to do.
        #expect(log.state.ruleSet(at: RL.hour(15)).mappings.first { $0.id == "base" }?.cost == RL.d("0.12"))
        var again = target
        again.mappings = again.mappings.map { var m = $0; m.validity = .always; return m }
        #expect(RuleLogDiff.changes(from: log.state.currentRules(at: RL.hour(21)), to: again, at: RL.hour(21)).isEmpty)
    }
}

/// Batch events (issue 8 item 3): several changes that take effect together or not at all.
struct RuleLogBatchTests {
    @Test func aBatchIsAcceptedOrRejectedWhole() {
        var log = RL.baseLog()
        log.add(.create(.mapping(RL.mapping("a", cost: "1"))), recorded: 1, start: 2)
        let priceChange = [PlannedRuleChange(change: .end(.rule(.mapping, "a")), start: RL.hour(10)),
                           PlannedRuleChange(change: .create(.mapping(RL.mapping("a", cost: "2"))), start: RL.hour(10))]
        // The second part clashes (a bounded rule "b" with the same CloudKitty key as "a",
        // over hours 5–20): the end of "a" must not take effect either.
        let clash = [PlannedRuleChange(change: .end(.rule(.mapping, "a")), start: RL.hour(10)),
                     PlannedRuleChange(change: .create(.mapping(RL.mapping("b", cost: "3"))), start: RL.hour(5),
                                       end: RL.hour(20))]
        let before = log.state
        let bad = RuleLogWriter.prepareAtomic(changes: clash, author: "bob", reason: "r", now: RL.hour(3), head: log.state.head)
        #expect(bad.count == 1 && bad[0].start == RL.hour(5))
        let outcome = log.append(bad[0])
        #expect(outcome.rejection?.code == .duplicate)
        #expect(outcome.rejection?.message.hasPrefix("change 2 of 2") == true, "\(String(describing: outcome.rejection))")
        #expect(log.state.ruleSet(at: RL.hour(12)).mappings.map(\.cost) == [RL.d("1")], "the end did not take effect")
        #expect(log.state.version == before.version)

        let good = RuleLogWriter.prepareAtomic(changes: priceChange, author: "bob", reason: "up", now: RL.hour(3),
                                               head: log.state.head)
        #expect(log.append(good[0]) == .accepted)
        #expect(log.state.ruleSet(at: RL.hour(9)).mappings.map(\.cost) == [RL.d("1")])
        #expect(log.state.ruleSet(at: RL.hour(10)).mappings.map(\.cost) == [RL.d("2")])
        #expect(log.state.auditTrail(ruleID: "a").map(\.operation) == ["create", "end", "create"])
        #expect(log.state.auditTrail(ruleID: "a").suffix(2).allSatisfy { $0.eventID == good[0].id })
        // A snapshot of a state with batch effects refolds to the same bytes.
        var reader = RuleLogState()
        for (i, e) in log.events.enumerated() { reader.apply(e, offset: Int64(i)) }
        #expect(reader.encode() == log.state.encode())
        #expect((try? RuleLogState(decoding: log.state.encode())) == log.state)
    }

    /// Before batch events a change was several events linked one after the other; a
    /// losing writer's second event links to its own stale first one. That is a race,
    /// not tampering: verify passes and readers reject both.
    @Test func aRacingWritersRestOfChangeIsStaleNotBroken() {
        var log = RL.baseLog()
        let head = log.state.head
        let winner = RL.event(.create(.group("w")), recorded: 1, start: 2, id: "winner", head: head)
        let loser = RuleLogWriter.prepare(changes: [.create(.group("x")), .create(.group("y"))], author: "bob", reason: "r",
                                          start: RL.hour(2), now: RL.hour(1), head: head)
        log.append(winner)
        for e in loser { #expect(log.append(e).rejection?.code == .staleHead) }
        var verifier = RuleChainVerifier()
        for (i, e) in log.events.enumerated() { verifier.check(offset: Int64(i), event: e) }
        let report = verifier.report()
        #expect(report.isIntact, "\(String(describing: report.firstProblem))")
        #expect(report.staleCount == 2 && report.head == winner.hash)
        // Still caught: an event linking to a hash no stored event has.
        var forged = verifier
        let orphan = RL.event(.create(.group("z")), recorded: 1, start: 2, id: "orphan", head: String(repeating: "0", count: 64))
        #expect(forged.check(offset: Int64(log.events.count), event: orphan)?.kind == .brokenLink)
    }

    /// Issue 9 item 3: with force, a batch that ends rule R at a past T and creates R again
    /// from T corrects a wrong past price; an end in the past on its own is still refused.
    @Test func aForcedSupersedeMayStartInThePastAndNothingElseMay() {
        var log = RL.baseLog()
        log.add(.create(.mapping(RL.mapping("a", cost: "1"))), recorded: 1, start: 2)
        let supersede = [PlannedRuleChange(change: .end(.rule(.mapping, "a")), start: RL.hour(5)),
                         PlannedRuleChange(change: .create(.mapping(RL.mapping("a", cost: "2"))), start: RL.hour(5))]
        func batch(_ parts: [PlannedRuleChange], force: Bool) -> RuleEvent {
            RuleLogWriter.prepareAtomic(changes: parts, author: "auditor", reason: "wrong since 5", force: force,
                                        now: RL.hour(9), head: log.state.head)[0]
        }
        #expect(log.state.rejection(of: batch(supersede, force: false))?.code == .endInPast)
        #expect(log.state.rejection(of: batch([supersede[0]], force: true))?.code == .endInPast, "a past end alone")
        let otherRule = [supersede[0], PlannedRuleChange(change: .create(.mapping(RL.mapping("b", cost: "2"))), start: RL.hour(5))]
        #expect(log.state.rejection(of: batch(otherRule, force: true))?.code == .endInPast, "not the same rule")
        let shifted = [supersede[0], PlannedRuleChange(change: .create(.mapping(RL.mapping("a", cost: "2"))), start: RL.hour(6))]
        #expect(log.state.rejection(of: batch(shifted, force: true))?.code == .endInPast, "not from the same instant")
        #expect(log.append(batch(supersede, force: true)) == .accepted)
        #expect(log.state.ruleSet(at: RL.hour(4)).mappings.map(\.cost) == [RL.d("1")])
        #expect(log.state.ruleSet(at: RL.hour(5)).mappings.map(\.cost) == [RL.d("2")])
        let trail = log.state.auditTrail(ruleID: "a")
        #expect(trail.map(\.operation) == ["create", "end", "create"])
        #expect(trail.suffix(2).allSatisfy { $0.author == "auditor" && $0.reason == "wrong since 5" && $0.force })
    }
}
