import Hummingbird
import TallyAudit
import TallyCore
import TallyIndex
import TallyKafka

/// Overview: cost over time stacked by service (hour, day or month buckets, UTC), for one
/// project or every visible one; the period's total per currency and how complete it is;
/// the top resources; dead letters and the frame index's lag (admins). Built from the frame
/// index's rollups (its compact summaries when a rollup sum overflowed), all read in one
/// transaction; the totals are `tally report`'s (OverviewFigures, compared with
/// `UsageReport` by CompactSummaryTests), so the total is the API's.
enum OverviewPage {
    static func render(_ request: Request, principal: Principal, service: ServiceContext) throws -> Response {
        let period = try QueryPeriod(request)
        let project = request.query("project")
        let bucket = request.query("bucket") ?? "day"
        let prefix = ["hour": 13, "day": 10, "month": 7][bucket]
        guard let prefix else { throw APIError.badRequest("bucket must be hour, day or month, not '\(bucket)'") }
        if let project, !principal.maySee(project: project) { throw APIError(.forbidden, "Access was denied to project \(project).") }
        var body = try content(index: service.requireIndex(), period: period, project: project, bucket: bucket, prefix: prefix,
                               principal: principal)
        if principal.isAdmin { body += operations(service) }
        return HTMLPage.response(title: "Overview", principal: principal, body: body)
    }

    /// The page's figures and tables (everything but the broker's operations box): the
    /// index's rollups (day cells for day and month buckets, window cells for hours), or its
    /// compact summaries of the period when a rollup sum overflowed; never a frame's JSON.
    /// `tally-bench dashboard` times this.
    static func content(index: FrameIndex, period: QueryPeriod, project: String?, bucket: String, prefix: Int,
                        principal: Principal) throws -> String {
        let scopes = VisibleScopes.of(principal, asked: project.map { [$0] })
        if let reads = try index.overviewReads(scopes: scopes, from: period.begin, to: period.end, byWindow: prefix > 10) {
            let figures = OverviewFigures(cells: reads.cells, resources: reads.resources, edgeFrames: reads.edgeFrames,
                                          last: reads.last, period: period, project: project, prefix: prefix)
            return content(figures: figures, period: period, project: project, bucket: bucket, principal: principal)
        }
        let frames = try index.summaries(scopes: scopes, from: period.begin, to: period.end)
        return content(frames: frames, period: period, project: project, bucket: bucket, prefix: prefix, principal: principal)
    }

    static func content<Frame: RatedFrameFields>(frames: [Frame], period: QueryPeriod, project: String?, bucket: String,
                                                 prefix: Int, principal: Principal) -> String {
        content(figures: OverviewFigures(frames: frames, period: period, project: project, prefix: prefix), period: period,
                project: project, bucket: bucket, principal: principal)
    }

    static func content(figures: OverviewFigures, period: QueryPeriod, project: String?, bucket: String,
                        principal: Principal) -> String {
        let chart = StackedBarChart(buckets: figures.buckets, series: figures.services, values: figures.chart)

        var body = filterForm(period: period, project: project, bucket: bucket, principal: principal)
        body += "<h2>Total</h2><p>"
        body += figures.totals.map { HTMLPage.money("total-\($0.currency)", $0.price, currency: $0.currency) + " (\($0.frames) frames)" }
            .joined(separator: "; ")
        if figures.totals.isEmpty { body += HTMLPage.num("total-none", "0") + " (no frames in this period)" }
        body += "</p><p class=\"note\" data-completeness>\(HTMLPage.escape(figures.completeness))</p>"
        body += "<h2>Cost per \(bucket), by service</h2>" + chart.svg()
        // Rounded like the totals when the period has one currency; every digit otherwise.
        let chartDecimals = figures.totals.count == 1 ? CurrencyMinorUnits.decimals(for: figures.totals[0].currency) : nil
        let rows = chart.buckets.map { b in
            [HTMLPage.escape(b)] + chart.series.map { s in
                HTMLPage.money("bucket-\(b)-\(s)", chart.values[b]?[s] ?? ExactSum(), currency: nil, decimals: chartDecimals)
            }
        }
        body += "<details><summary>Figures</summary>" + HTMLPage.table(["\(bucket) (UTC)"] + chart.series, rows) + "</details>"
        let top = figures.topResources
        body += "<h2>Top resources</h2>" + HTMLPage.table(["resource", "project", "price"], top.map { resource, value in
            [HTMLPage.escape(resource),
             "<a href=\"/?page=project&amp;project=\(HTMLPage.query(value.scope))&amp;begin=\(HTMLPage.query(Timestamps.iso8601(period.begin)))&amp;end=\(HTMLPage.query(Timestamps.iso8601(period.end)))\">\(HTMLPage.escape(value.scope))</a>",
             HTMLPage.money("resource-\(resource)", value.price, currency: value.currency)]
        })
        return body
    }

    static func filterForm(period: QueryPeriod, project: String?, bucket: String, principal: Principal, page: String = "overview") -> String {
        let projects = principal.isAdmin ? "" : " (yours: \(principal.projects.sorted().joined(separator: ", ")))"
        return """
            <form class="inline" method="get" action="/"><input type="hidden" name="page" value="\(page)">
            <label>begin <input name="begin" value="\(HTMLPage.escape(Timestamps.iso8601(period.begin)))"></label>
            <label>end <input name="end" value="\(HTMLPage.escape(Timestamps.iso8601(period.end)))"></label>
            <label>project\(HTMLPage.escape(projects)) <input name="project" value="\(HTMLPage.escape(project ?? ""))"></label>
            \(page == "overview" ? "<label>bucket <select name=\"bucket\">" + ["hour", "day", "month"].map { "<option\($0 == bucket ? " selected" : "")>\($0)</option>" }.joined() + "</select></label>" : "")
            <button>Show</button></form>
            """
    }

    /// Dead letters (records on the dead-letter topic, from its watermarks) and the frame
    /// index's lag behind the frames topic.
    static func operations(_ service: ServiceContext) -> String {
        var html = "<h2>Operations</h2><ul>"
        do {
            let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: service.config.bootstrapServers))
            var dead: Int64 = 0
            for p in 0..<Int32(try admin.partitionCount(of: service.config.deadLetterTopic) ?? 0) {
                let marks = try admin.watermarks(topic: service.config.deadLetterTopic, partition: p)
                dead += marks.high - marks.low
            }
            html += "<li>dead letters on \(HTMLPage.escape(service.config.deadLetterTopic)): \(HTMLPage.num("dead-letters", String(dead)))</li>"
        } catch {
            html += "<li class=\"error\">dead letters unavailable: \(HTMLPage.escape("\(error)"))</li>"
        }
        if let follower = service.follower {
            let lag = (try? follower.lag()).map { $0.values.reduce(0, +) }
            html += "<li>frame index lag: \(lag.map { HTMLPage.num("index-lag", String($0)) } ?? "unknown") record(s)"
                + (follower.current.caughtUp ? "" : " (catching up)") + "</li>"
        }
        return html + "</ul>"
    }
}

/// The overview page's content without HTTP, for `tally-bench dashboard` (an admin's view).
public enum OverviewRendering {
    public static func html(index: FrameIndex, begin: EventTime, end: EventTime, bucket: String, project: String? = nil) throws -> String {
        let prefix = ["hour": 13, "day": 10, "month": 7][bucket] ?? 10
        return try OverviewPage.content(index: index, period: QueryPeriod(begin: begin, end: end), project: project, bucket: bucket,
                                        prefix: prefix, principal: .noauth)
    }

    /// The same page from every frame's compact record (what the page does when a rollup sum
    /// overflowed, and did before the rollups), for the benchmark's comparison.
    public static func htmlScanningRecords(index: FrameIndex, begin: EventTime, end: EventTime, bucket: String,
                                           project: String? = nil) throws -> String {
        let prefix = ["hour": 13, "day": 10, "month": 7][bucket] ?? 10
        let frames = try index.summaries(scopes: project.map { [$0] }, from: begin, to: end)
        return OverviewPage.content(frames: frames, period: QueryPeriod(begin: begin, end: end), project: project, bucket: bucket,
                                    prefix: prefix, principal: .noauth)
    }

    /// The same page from each frame's JSON (what the page did before the compact records),
    /// for the benchmark's "before" figure.
    public static func htmlDecodingFrames(index: FrameIndex, begin: EventTime, end: EventTime, bucket: String,
                                          project: String? = nil) throws -> String {
        let prefix = ["hour": 13, "day": 10, "month": 7][bucket] ?? 10
        let frames = try index.frames(scopes: project.map { [$0] }, from: begin, to: end)
        return OverviewPage.content(frames: frames, period: QueryPeriod(begin: begin, end: end), project: project, bucket: bucket,
                                    prefix: prefix, principal: .noauth)
    }
}
