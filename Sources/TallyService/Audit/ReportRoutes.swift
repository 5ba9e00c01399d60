import Hummingbird
import TallyAudit
import TallyCore
import TallyIndex

/// `GET /tally/v1/report?begin&end[&scope=P][&group_by=scope|metric|resource|user|day][&format=json|csv]`:
/// `tally report`'s bill (the same `UsageReport`, exact figures) from the frame index. A reader
/// gets their projects only; naming another project is 403, as the v1 reports do.
enum ReportRoutes {
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext) {
        router.get("/tally/v1/report") { request, context -> Response in
            let report = try Self.report(request, principal: try context.caller(), service: service)
            if request.query("format") == "csv" {
                return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: report.csv())))
            }
            return Response.json(report.json())
        }
    }

    /// The bill of the caller's visible frames whose window starts in [begin, end).
    static func report(_ request: Request, principal: Principal, service: ServiceContext) throws -> UsageReport {
        let period = try QueryPeriod(request)
        let scope = request.query("scope")
        if let scope, !principal.maySee(project: scope) { throw APIError(.forbidden, "Access was denied to this resource.") }
        let groupText = request.query("group_by") ?? "scope"
        guard let grouping = UsageReport.Grouping(rawValue: groupText) else {
            throw APIError.badRequest("`group_by` must be one of \(UsageReport.Grouping.allCases.map(\.rawValue).joined(separator: ", ")), not '\(groupText)'")
        }
        let frames = try service.requireIndex().summaries(scopes: VisibleScopes.of(principal, asked: scope.map { [$0] }),
                                                       from: period.begin, to: period.end)
        return UsageReport(ledger: ledger(frames), from: period.begin, to: period.end, scope: scope, grouping: grouping)
    }

    static func ledger(_ frames: [some RatedFrameFields]) -> FrameLedger { FrameLedger(latest: frames) }
}
