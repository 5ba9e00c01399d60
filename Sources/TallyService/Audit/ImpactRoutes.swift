import Hummingbird
import TallyAudit
import TallyCore
import TallyRuntime
import TallyWire

/// A candidate price list's impact and its apply (admin), what `tally rules apply FILE
/// --dry-run --impact-from T` and `tally rules apply` + `tally replay --apply` do:
/// - `POST /tally/v1/impact` `{rules, at?, from, to?, force?}`: the rule events that would
///   turn the current book into the candidate (a ruleset file, docs/RATING.md) at `at`, whether
///   readers would accept them, and the windows starting in [from, to) re-priced with the
///   candidate, per project (old total, new total, difference). Nothing is published.
/// - `POST /tally/v1/impact/apply` `{…, reason}`: publishes those events (signed, authored by
///   the caller) and then the correction commands of a replay of [from, to), which the rater
///   executes as correction revisions.
enum ImpactRoutes {
    struct Candidate: Sendable {
        var target: RuleSet
        var at: EventTime
        var request: ReplayRequest
        var force: Bool

        init(_ body: JSONBody, metrics: MetricsConfig) throws {
            let yaml = try body.required("rules")
            do { target = try RulesetFile.parse(yaml: yaml, file: "rules", checkedAgainst: metrics) } catch {
                throw APIError.badRequest("the candidate rules are not a valid ruleset file: \(error)")
            }
            let now = WallClock.now()
            at = try body.string("at").map { try APIDate.parse($0, member: "at") } ?? now
            let from = try APIDate.parse(try body.required("from"), member: "from")
            let to = try body.string("to").map { try APIDate.parse($0, member: "to") } ?? now
            guard from < to else { throw APIError.badRequest("`from` must be before `to`") }
            request = ReplayRequest(from: from, to: to)
            force = try body.bool("force") ?? false
        }

        func changes(from state: RuleLogState) -> [PlannedRuleChange] {
            RuleLogDiff.changes(from: state.currentRules(at: at), to: target.removingRulesEnded(by: at), at: at)
        }
    }

    static func register(on router: Router<TallyRequestContext>, service: ServiceContext, rules: RuleLogView) {
        router.post("/tally/v1/impact") { request, context -> Response in
            let author = try context.admin().name
            let candidate = try Candidate(try await JSONBody.read(request), metrics: service.metrics)
            let state = try await rules.state()
            let changes = candidate.changes(from: state)
            let events = RuleLogWriter.prepareAtomic(changes: changes, author: author, reason: "impact dry run",
                                                     force: candidate.force, now: WallClock.now(), head: state.head)
            let check = RuleLogWriter.check(events, against: state)
            let config = service.config
            let impact: String? = try await Blocking.run {
                guard !changes.isEmpty, check.wouldBeAccepted else { return nil }
                let replay = try RuleChangeImpact.compute(config: config, afterChanges: check.resultingState, request: candidate.request)
                return ReplayReport.render(replay.diff, format: .json, detail: false)
            }
            return Response.json(JSONValue.object([
                ("at", .string(Timestamps.iso8601(candidate.at))),
                ("from", .string(Timestamps.iso8601(candidate.request.from))),
                ("to", .string(Timestamps.iso8601(candidate.request.to))),
                ("changes", .array(changes.map { .string("\($0)") })),
                ("would_be_accepted", .bool(!changes.isEmpty && check.wouldBeAccepted)),
                ("rejection", check.firstRejection.map { .string("\($0.rejection)") }
                    ?? (changes.isEmpty ? .string("the rules already match the candidate: nothing to change") : .null)),
                ("impact", impact.map(JSONValue.raw) ?? .null),
            ]).text)
        }
        router.post("/tally/v1/impact/apply") { request, context -> Response in
            let principal = try context.admin()
            let body = try await JSONBody.read(request)
            let candidate = try Candidate(body, metrics: service.metrics)
            let reason = try body.required("reason")
            // With noauth there is no authenticated principal to record: the caller names the author.
            let author = principal == .noauth ? (try body.string("author") ?? principal.name) : principal.name
            let state = try await rules.write(author: author, reason: reason, force: candidate.force) { state, _ in
                let changes = candidate.changes(from: state)
                guard !changes.isEmpty else { throw APIError.badRequest("the rules already match the candidate: nothing to change") }
                return changes
            }
            let config = service.config, metrics = service.metrics
            let outcome = try await Blocking.run {
                try Replay(config: config, metrics: metrics, request: candidate.request).apply(author: author, reason: reason, waitSeconds: 0)
            }
            return Response.json(JSONValue.object([
                ("rule_version", state.version.map { .integer(Int($0)) } ?? .null), ("head", .string(state.head)),
                ("author", .string(author)), ("replay_id", .string(outcome.replayId)),
            ]).text, status: .accepted)
        }
    }
}
