import TallyCore
import TallyEngine
import TallyScript
import TallyWire

/// The checks of `tally verify` that look at every revision, not only the latest one
/// the rater rated: each frame's revision sequence adds up, and every correction is one
/// the rater executed for a command on the corrections topic, with that command's
/// content, and (when it is what a consumer bills) reproduces from the input with the
/// rules the command names.
enum RevisionAudit {
    typealias Problem = FrameVerification.Problem

    static func place(_ f: FrameRecord) -> String { "partition \(f.partition ?? -1) offset \(f.offset ?? -1)" }

    /// Per frame id, its revisions in emission order (one frame id always goes to one
    /// partition, so offset order). Byte-identical resends are dropped; a second,
    /// different copy of a revision is left to the chain check.
    static func sequences(_ emitted: EmittedFrames) -> [String: [FrameRecord]] {
        var out: [String: [FrameRecord]] = [:]
        var seen = Set<String>()
        for f in emitted.records where seen.insert("\(f.frameId)#\(f.revision)").inserted {
            out[f.frameId, default: []].append(f)
        }
        return out
    }

    /// Revisions run 1, 2, 3… in emission order; each one's `previous_price` is the price
    /// of the revision before it (0 for the first) and `price_delta = price − previous_price`,
    /// so the deltas add up to the latest price a consumer bills.
    /// Frame by frame in frame-id order, so a report lists its problems in the same order
    /// every run (a dictionary's order differs from one process, or dictionary, to the next).
    static func sequenceProblems(_ sequences: [String: [FrameRecord]], request: ReplayRequest) -> [Problem] {
        var problems: [Problem] = []
        for (_, revisions) in sequences.sorted(by: { $0.key < $1.key }) where request.selects(revisions[0]) {
            var previous = ExactDecimal.zero
            for (i, f) in revisions.enumerated() {
                func fail(_ detail: String) {
                    problems.append(Problem(kind: .revisions, frameId: f.frameId, revision: f.revision, place: place(f), detail: detail))
                }
                if f.revision != i + 1 { fail("revision \(f.revision) where revision \(i + 1) was due (revisions so far: \(revisions[..<i].map(\.revision)))") }
                let previousPrice = FrameRecord.decimal(f.members["previous_price"])
                let delta = FrameRecord.decimal(f.members["price_delta"])
                if previousPrice != previous {
                    fail("previous_price \(previousPrice?.canonicalText ?? "missing") but the revision before it has price \(previous.canonicalText)")
                }
                if let price = f.price, let previousPrice, delta != price - previousPrice {
                    fail("price_delta \(delta?.canonicalText ?? "missing") but price − previous_price = \((price - previousPrice).canonicalText)")
                }
                previous = f.price ?? previous
            }
        }
        return problems
    }

    /// Every correction of the range: named command, receipt and content; the latest
    /// revision of a frame, when it is a correction, is also replayed with the command's
    /// rules. Returns the problems and how many corrections were checked.
    static func correctionProblems(_ sequences: [String: [FrameRecord]], corrections: CorrectionsLog, request: ReplayRequest,
                                   rules: ReplayRuleSource,
                                   replay: (WindowPricer) throws -> [String: FrameRecord]) throws -> (checked: Int, problems: [Problem]) {
        var problems: [Problem] = []
        var checked = 0
        var toReplay: [String: [(FrameRecord, CorrectionCommand)]] = [:]
        for (_, revisions) in sequences.sorted(by: { $0.key < $1.key }) where request.selects(revisions[0]) {
            for f in revisions where f.isCorrection {
                checked += 1
                func fail(_ detail: String) {
                    problems.append(Problem(kind: .correction, frameId: f.frameId, revision: f.revision, place: place(f), detail: detail))
                }
                guard case let .object(named)? = f.members["correction"], case let .string(replayId)? = named["replay_id"] else {
                    fail("the correction member names no replay_id"); continue
                }
                let receipts = corrections.receipts(of: replayId)
                guard let receipt = receipts.first(where: { $0.corrected[f.frameId] != nil }) else {
                    fail("no receipt of the rater for replay \(replayId) lists this frame: not a correction the rater emitted")
                    continue
                }
                if receipt.corrected[f.frameId] != f.revision {
                    fail("the rater emitted this frame's correction for replay \(replayId) as revision \(receipt.corrected[f.frameId]!), not \(f.revision)")
                }
                guard let command = corrections.command(answering: receipt),
                      let item = command.items.first(where: { $0.frameId == f.frameId }) else {
                    fail("replay \(replayId) has no command on the corrections topic listing this frame"); continue
                }
                if named != { if case let .object(o) = command.correction { return o } else { return [:] } }() {
                    fail("correction member \(CanonicalJSON.object(named).text) but the command says \(command.correction.text)")
                }
                var body = f.body
                for key in CorrectionCommand.historyMembers { body[key] = nil }
                let differing = Set(body.keys).union(item.body.keys).filter { body[$0] != item.body[$0] }.sorted()
                if !differing.isEmpty {
                    fail("differs from the content of replay \(replayId)'s command in " + differing.map { key in
                        "\(key): emitted \(body[key]?.text ?? "absent"), command \(item.body[key]?.text ?? "absent")"
                    }.joined(separator: "; "))
                    continue
                }
                if f.revision == revisions.last!.revision { toReplay[command.rules, default: []].append((f, command)) }
            }
        }
        for (identity, frames) in toReplay.sorted(by: { $0.key < $1.key }) {
            let pricer: WindowPricer
            do { pricer = try Self.pricer(identity: identity, ruleset: frames[0].1.ruleset, rules: rules) } catch {
                for (f, _) in frames {
                    problems.append(Problem(kind: .correction, frameId: f.frameId, revision: f.revision, place: place(f),
                                            detail: "cannot rebuild the rules its replay names (\(identity)): \(error)"))
                }
                continue
            }
            let replayed = try replay(pricer)
            for (f, _) in frames {
                if let detail = FrameVerification.mismatch(emitted: f, replayed: replayed[f.frameId], keeping: FrameVerification.historyKeys + ["correction"]) {
                    problems.append(Problem(kind: .notReproduced, frameId: f.frameId, revision: f.revision, place: place(f),
                                            detail: "correction with \(identity): " + detail))
                }
            }
        }
        return (checked, problems)
    }

    /// The pricer a command's rules identity names: `log@V` (the rule log through V) or
    /// `file@SHA256` (the command's ruleset text, which must have that hash).
    static func pricer(identity: String, ruleset: String?, rules: ReplayRuleSource) throws -> WindowPricer {
        if identity.hasPrefix("log@") {
            let v = identity.dropFirst(4)
            if v == "none" { return try rules.pricer(for: .current).pricer }
            guard let version = Int64(v) else { throw ReplayError("\(identity): not a rule-log version") }
            return try rules.pricer(for: .version(version)).pricer
        }
        guard identity.hasPrefix("file@"), let ruleset else { throw ReplayError("\(identity): no ruleset in the command") }
        let hash = SHA256.hex(Array(ruleset.utf8))
        guard "file@" + hash == identity else { throw ReplayError("the command's ruleset hashes to \(hash), not \(identity.dropFirst(5))") }
        let book = try RulesetFile.load(yaml: ruleset)
        return RuleBookPricer(rater: Rater(book: book, scriptEvaluator: LuaScriptEvaluator()), version: nil, hash: hash)
    }
}

extension FrameRecord {
    static func decimal(_ value: CanonicalJSON?) -> ExactDecimal? {
        if case let .string(s)? = value { return ExactDecimal(s) } else { return nil }
    }
}
