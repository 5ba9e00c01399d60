import Hummingbird
import TallyAudit
import TallyCore

/// Project: its bill for a period, the numbers of `tally report` (the same `UsageReport` as
/// `/tally/v1/report`), per service and per resource, a CSV download, and every charge
/// (frame) linked to its trace.
enum ProjectPage {
    static let chargeLimit = 500

    static func render(_ request: Request, principal: Principal, service: ServiceContext) throws -> Response {
        let period = try QueryPeriod(request)
        let visible = try service.requireIndex().summaries(scopes: VisibleScopes.of(principal), from: period.begin, to: period.end)
        let project = request.query("project") ?? (principal.isAdmin ? nil : principal.projects.sorted().first)
            ?? Set(visible.map(\.scope)).sorted().first
        var body = OverviewPage.filterForm(period: period, project: project, bucket: "", principal: principal, page: "project")
        guard let project else {
            return HTMLPage.response(title: "Project", principal: principal, body: body + "<p>No project has frames in this period.</p>")
        }
        guard principal.maySee(project: project) else { throw APIError(.forbidden, "Access was denied to project \(project).") }
        let frames = visible.filter { $0.scope == project }
        let ledger = ReportRoutes.ledger(frames)
        if request.query("format") == "csv" {
            let csv = UsageReport(ledger: ledger, from: period.begin, to: period.end, scope: project, grouping: .resource).csv()
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"\(project)-bill.csv\""],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: csv)))
        }
        let range = "begin=\(HTMLPage.query(Timestamps.iso8601(period.begin)))&amp;end=\(HTMLPage.query(Timestamps.iso8601(period.end)))"
        let byMetric = UsageReport(ledger: ledger, from: period.begin, to: period.end, scope: project, grouping: .metric)
        let byResource = UsageReport(ledger: ledger, from: period.begin, to: period.end, scope: project, grouping: .resource)
        body += "<h2>\(HTMLPage.escape(project))</h2><p>Total: "
        body += byMetric.totals.map { HTMLPage.money("total-\($0.currency)", $0.price, currency: $0.currency) }
            .joined(separator: "; ")
        if byMetric.totals.isEmpty { body += HTMLPage.num("total-none", "0") }
        body += " · <a href=\"/?page=project&amp;project=\(HTMLPage.query(project))&amp;\(range)&amp;format=csv\" download>CSV</a></p>"
        body += "<p class=\"note\">\(HTMLPage.escape(byMetric.completeness))</p>"
        body += "<h2>Per service</h2>" + rows(byMetric, key: "metric")
        body += "<h2>Per resource</h2>" + rows(byResource, key: "resource")
        let charges = frames.sorted { ($0.windowStart, $0.resource, $0.metric) < ($1.windowStart, $1.resource, $1.metric) }
        body += "<h2>Charges</h2>"
        if charges.count > chargeLimit { body += "<p class=\"note\">The first \(chargeLimit) of \(charges.count) charges; narrow the period to see the rest.</p>" }
        body += HTMLPage.table(["window start", "service", "resource", "quantity", "price", "revision", "trace"], charges.prefix(chargeLimit).map { f in
            [HTMLPage.escape(Timestamps.iso8601(f.windowStart)), HTMLPage.escape(f.service), HTMLPage.escape(f.resource),
             HTMLPage.escape(f.quantity.canonicalText + " " + f.unit), HTMLPage.num("frame-\(f.frameId)", f.price.canonicalText) + " " + HTMLPage.escape(f.currency),
             String(f.revision), HTMLPage.traceLink(f.frameId, "trace")]
        })
        return HTMLPage.response(title: "Project bill", principal: principal, body: body)
    }

    static func rows(_ report: UsageReport, key: String) -> String {
        HTMLPage.table([key, "quantity", "price", "frames"], report.rows.map { row in
            [HTMLPage.escape(row.group), HTMLPage.escape((row.quantity?.canonicalText ?? "-") + " " + row.unit),
             HTMLPage.money("\(key)-\(row.group)", row.price, currency: row.currency), String(row.frames)]
        })
    }
}
