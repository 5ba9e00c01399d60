import ArgumentParser
import TallyCore
import TallyRuntime
import TallyWire

/// `tally rules log`: every stored event with what the fold made of it.
struct RulesLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "List the rule events, oldest first, with their outcome.")

    @OptionGroup var options: RulesConfigOption
    @Option(name: .long, help: "Only events about the rule with this id.") var rule: String?
    @Option(name: .long, help: "Only events by this author.") var author: String?

    func run() throws {
        let client = try options.client()
        let events = try client.readEvents()
        let (state, outcomes) = RuleLogClient.fold(events)
        var shown = 0
        for (offset, bytes) in events {
            let outcome = outcomes[offset].map(Self.describe) ?? "not folded"
            guard let event = try? RuleEventCodec.decode(bytes) else {
                if rule == nil && author == nil { print("\(offset)  (not a rule event)  \(outcome)"); shown += 1 }
                continue
            }
            if let author, event.author != author { continue }
            if let rule {
                let about = event.change.targets.contains { if case .rule(_, let id) = $0 { return id == rule } else { return false } }
                guard about else { continue }
            }
            let planned = PlannedRuleChange(change: event.change, start: event.start, end: event.end)
            print("\(offset)  \(Timestamps.iso8601(event.recordedAt))  \(event.author)  \(planned)"
                  + (event.force ? " (forced)" : "") + "  \(outcome)  reason: \(event.reason)")
            shown += 1
        }
        print("-- \(shown) of \(events.count) event(s); version \(state.version.map(String.init) ?? "none"), head \(state.head.isEmpty ? "(empty)" : state.head)")
    }

    static func describe(_ outcome: RuleEventOutcome) -> String {
        switch outcome {
        case .accepted: return "accepted"
        case .rejected(let r): return "rejected \(r)"
        case .alreadyFolded: return "repeated offset"
        }
    }
}
