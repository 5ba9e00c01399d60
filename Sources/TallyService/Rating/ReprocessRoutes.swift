import Dispatch
import Hummingbird
import Synchronization
import TallyAudit
import TallyCore
import TallyWire

/// `/v2/task/reprocesses`: CloudKitty's reprocessing is Tally's replay (docs/REPLAY.md).
/// POST `{scope_ids: [..]|"ALL", start_reprocess_time, end_reprocess_time, reason}` (admin)
/// re-rates the range with the rule log as it is now and publishes a correction command per
/// scope, which the rater executes (correction revisions for every window whose price
/// changed); the author is the caller. With `"dry_run": true` (Tally's extension) nothing is
/// published and the answer is the replay's report (old and new totals per scope).
/// GET lists the reprocessings accepted, which are stored in the frame index's environment
/// (ReprocessTask.swift), so they survive a restart; the correction commands themselves are
/// on the corrections topic.
enum ReprocessRoutes {
    static func register(on router: Router<TallyRequestContext>, runner: ReprocessRunner) {

        router.post("/v2/task/reprocesses") { request, context -> Response in
            let author = try context.admin().name
            let body = try await JSONBody.read(request)
            let reason = try body.required("reason")
            let start = try APIDate.parse(try body.required("start_reprocess_time"), member: "start_reprocess_time")
            let end = try APIDate.parse(try body.required("end_reprocess_time"), member: "end_reprocess_time")
            guard start < end else { throw APIError.badRequest("start_reprocess_time must be before end_reprocess_time") }
            let scopes: [String?]
            if let all = body.members["scope_ids"] as? String, all == "ALL" { scopes = [nil] }
            else if let list = body.members["scope_ids"] as? [String], !list.isEmpty { scopes = list }
            else { throw APIError.badRequest("`scope_ids` must be a list of scope ids or \"ALL\"") }
            let dryRun = try body.bool("dry_run") ?? false
            let reports = try await runner.run(scopes: scopes, start: start, end: end, reason: reason, author: author, dryRun: dryRun)
            if dryRun { return Response.json("[" + reports.joined(separator: ",") + "]") }
            return Response.json("{}", status: .accepted)
        }

        for path in ["/v2/task/reprocesses", "/v2/task/reprocesses/:scope"] {
            router.get(RouterPath(path)) { request, context -> Response in
                _ = try context.admin()
                var selected = runner.listed()
                if let scope = context.parameters.get("scope") { selected = selected.filter { $0.scope == scope } }
                if let ids = request.query("scope_ids") {
                    let wanted = Set(ids.split(separator: ",").map(String.init))
                    selected = selected.filter { wanted.contains($0.scope) }
                }
                if request.query("order") == "desc" { selected.reverse() }
                let results = selected.map { task -> CanonicalJSON in
                    .object(["scope_id": .string(task.scope), "reason": .string(task.reason),
                             "start_reprocess_time": .string(Timestamps.iso8601(task.start)),
                             "end_reprocess_time": .string(Timestamps.iso8601(task.end)),
                             // Queued for the rater: CloudKitty's progress marker stays at the start until done.
                             "current_reprocess_time": .string(Timestamps.iso8601(task.executed ? task.end : task.start)),
                             "replay_id": .string(task.replayID)])
                }
                return Response.json(CanonicalJSON.object(["results": .array(results)]).text)
            }
        }
    }
}

/// Runs reprocessings (replays) off the request threads, one at a time, and keeps the list
/// of those accepted (stored in the frame index's environment). Shared by
/// `POST /v2/task/reprocesses` and `PUT /v2/scope` (a scope state reset).
final class ReprocessRunner: Sendable {
    let service: ServiceContext
    let tasks: Mutex<[ReprocessTask]>
    private let queue = DispatchQueue(label: "tally.serve.reprocess")

    /// The reprocessings accepted, oldest first.
    func listed() -> [ReprocessTask] { tasks.withLock { $0 } }

    init(service: ServiceContext) {
        self.service = service
        tasks = Mutex(ReprocessTask.stored(in: service.index))
    }

    /// Replays `[start, end)` for each scope (nil: every scope) with the rule log as it is
    /// now. Dry run: the replay reports (JSON), nothing published. Otherwise each replay's
    /// correction command is published for the rater, and the task recorded.
    func run(scopes: [String?], start: EventTime, end: EventTime, reason: String, author: String,
             dryRun: Bool) async throws -> [String] {
        let config = service.config
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    let metrics = try MetricsConfigLoader.load(contentsOf: config.metricsFile)
                    var reports: [String] = []
                    for scope in scopes {
                        let replay = try Replay(config: config, metrics: metrics,
                                                request: ReplayRequest(from: start, to: end, scope: scope))
                        if dryRun {
                            reports.append(ReplayReport.render(replay.diff, format: .json, detail: false))
                            continue
                        }
                        let outcome = try replay.apply(author: author, reason: reason, waitSeconds: 0)
                        let task = ReprocessTask(scope: scope ?? "ALL", reason: reason, start: start, end: end,
                                                 replayID: outcome.replayId, executed: outcome.receipts != nil)
                        try self.service.index?.appendReprocessTasks([task.encoded])
                        self.tasks.withLock { $0.append(task) }
                    }
                    return reports
                })
            }
        }
    }
}
