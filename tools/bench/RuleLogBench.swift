import TallyCore
import TallyWire
import TallyThreads

/// Start-up cost of the rule log: folding 100,000 stored rule events from scratch (bytes
/// → decode → hash check → validation), from decoded events, and from a snapshot plus
/// a 1,000-event tail. Target: start-up under 1 s. Called by the bench executable's main.
/// `passes`: the two-thread fold (the issue-10 row) runs that many times, each from an empty
/// state, so one process gives several figures (and `perf` a longer stretch of that phase).
func runRuleLogBench(passes: Int = 1) {
    let (records, events) = RuleLogBenchLog.make(eventCount: 100_000)
    // CPU time of this thread (the machine is shared and noisy), with wall time beside it.
    struct Timing { var cpuNanos: UInt64; var wall: Duration }
    let clock = ContinuousClock()
    func timed(_ body: () -> Void) -> Timing {
        let cpu = threadCPUNanos()
        let wall = clock.measure(body)
        return Timing(cpuNanos: threadCPUNanos() - cpu, wall: wall)
    }
    func millis(_ nanos: UInt64) -> Int { Int((Double(nanos) / 1e6).rounded()) }
    func wallMillis(_ t: Timing) -> Int {
        Int(((Double(t.wall.components.seconds) + Double(t.wall.components.attoseconds) / 1e18) * 1000).rounded())
    }
    func seconds(_ t: Timing) -> String { "\(millis(t.cpuNanos)) ms CPU (\(wallMillis(t)) ms wall)" }

    var fromBytes = RuleLogReader()
    let bytesTime = timed {
        for (i, record) in records.enumerated() { fromBytes.apply(bytes: record, offset: Int64(i)) }
    }
    precondition(fromBytes.state.rejected.isEmpty, "bench log has rejections: \(fromBytes.state.rejected.prefix(3))")
    print("rule log: fold \(records.count) events from bytes, one thread: \(seconds(bytesTime))")

    // Two threads (`apply(records:)`): the row is the wall time; both threads' CPU beside it.
    let stored = records.enumerated().map { (offset: Int64($0.offset), bytes: $0.element) }
    for _ in 0..<max(passes, 1) {
        var twoThreads = RuleLogReader()
        var decodeCPU: UInt64 = 0
        let twoTime = timed { decodeCPU = twoThreads.apply(records: stored).decodeThreadCPUNanos }
        precondition(twoThreads.state == fromBytes.state, "the two-thread fold differs from the one-thread fold")
        print("rule log: fold \(records.count) events from bytes, two threads: \(wallMillis(twoTime)) ms wall "
              + "(folding thread \(millis(twoTime.cpuNanos)) ms CPU, decode thread \(millis(decodeCPU)) ms CPU)")
    }

    var fromEvents = RuleLogState()
    let eventsTime = timed {
        for (i, event) in events.enumerated() { fromEvents.apply(event, offset: Int64(i)) }
    }
    print("rule log: fold \(events.count) decoded events: \(seconds(eventsTime))")

    let tail = 1_000
    var head = RuleLogState()
    for (i, event) in events.dropLast(tail).enumerated() { head.apply(event, offset: Int64(i)) }
    var snapshot: [UInt8] = []
    let encodeTime = timed { snapshot = head.encode() }
    var restored = RuleLogReader()
    var tailDecodeCPU: UInt64 = 0
    let restoreTime = timed {
        do { restored = RuleLogReader(state: try RuleLogState(decoding: snapshot)) } catch { fatalError("\(error)") }
        // As a rater's start-up folds the tail (`RuleLogClient.fold`).
        tailDecodeCPU = restored.apply(records: Array(stored.suffix(tail))).decodeThreadCPUNanos
    }
    precondition(restored.state.head == fromBytes.state.head, "snapshot + tail differs from the full fold")
    print("rule log: snapshot of \(records.count - tail) events: \(snapshot.count / 1024) KiB, encode \(seconds(encodeTime))")
    print("rule log: start from snapshot + \(tail)-event tail: \(seconds(restoreTime)), tail decode thread \(millis(tailDecodeCPU)) ms CPU")

    var rules = 0
    let bookTime = timed {
        do { rules = try fromBytes.state.ruleBook(at: RuleLogBenchLog.end).rules.mappings.count } catch { fatalError("\(error)") }
    }
    print("rule log: rule book at the end (\(rules) mappings): \(seconds(bookTime))")
}

/// A synthetic log: 50 services with 5 fields, 10 groups, then field mappings created
/// and, for every other one, a price change later (end + create under the same id).
enum RuleLogBenchLog {
    static let origin = EventTime(micros: 1_767_225_600_000_000)
    static var end: EventTime { EventTime(micros: origin.micros + 400_000 * 60_000_000) }

    static func make(eventCount: Int) -> (records: [[UInt8]], events: [RuleEvent]) {
        var changes: [(RuleChange, minutes: Int64)] = []
        for g in 0..<10 { changes.append((.create(.group("group-\(g)")), 0)) }
        for s in 0..<50 {
            changes.append((.create(.service(ServiceDeclaration(name: "service-\(s)", fields: (0..<5).map { "field-\($0)" }))), 0))
        }
        var i = 0
        while changes.count < eventCount {
            let minute = Int64(changes.count)
            if i % 3 == 2 {
                // Price change of the rule created two steps ago, from the next hour on.
                let id = "rule-\(i - 2)"
                changes.append((.end(.rule(.mapping, id)), minute))
                changes.append((.create(.mapping(mapping(i - 2, cost: "0.2"))), minute))
            } else {
                changes.append((.create(.mapping(mapping(i, cost: "0.1"))), minute))
            }
            i += 1
        }
        var head = ""
        var events: [RuleEvent] = []
        events.reserveCapacity(changes.count)
        for (n, (change, minute)) in changes.prefix(eventCount).enumerated() {
            let recorded = EventTime(micros: origin.micros + minute * 60_000_000)
            let event = RuleEvent(id: "bench-\(n)", author: "bench@example.com", reason: "synthetic load", recordedAt: recorded,
                                  start: EventTime(micros: recorded.micros + 3_600_000_000), change: change).sealed(after: head)
            head = event.hash
            events.append(event)
        }
        return (events.map(RuleEventCodec.encode), events)
    }

    static func mapping(_ i: Int, cost: String) -> HashMapping {
        HashMapping(id: "rule-\(i)", service: "service-\(i % 50)", field: "field-\(i / 50 % 5)", value: "value-\(i)",
                    type: .flat, cost: ExactDecimal(cost)!, group: "group-\(i % 10)")
    }
}
