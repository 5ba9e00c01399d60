import Hummingbird
import TallyCore
import TallyCrypto
import TallyRuntime
import TallyWire

/// Rule log: the events (author, reason, when recorded, when in force, outcome, signature),
/// the book at an instant (`at`, optionally as known after `version`), the diff of two
/// versions (`from`, `to`) and the chain's status — what `/tally/v1/rules/*` answer, with
/// the same tenant filtering.
enum RuleLogPage {
    static func render(_ request: Request, principal: Principal, service: ServiceContext, rules: RuleLogView) async throws -> Response {
        let snapshot = try await rules.snapshot()
        let state = snapshot.state
        let visibility = RuleVisibility(principal: principal, state: state)
        let ring = RuleLogRoutes.serviceKeyRing(service)
        let (stored, chain) = (snapshot.records, snapshot.verify())
        let at = try request.query("at").map { try QueryPeriod.time($0, name: "at") } ?? WallClock.now()
        let version = try RuleLogRoutes.version(request, "version", state: state)

        var body = "<h2>Chain</h2><p data-chain>" + (chain.isIntact
            ? "intact: \(chain.eventCount) event(s), head <code>\(HTMLPage.escape(chain.head.isEmpty ? "(empty)" : chain.head))</code>"
            : "<span class=\"error\">BROKEN at \(HTMLPage.escape("\(chain.firstProblem.map { "\($0)" } ?? "")"))</span>") + "</p>"

        var rows: [[String]] = []
        for record in stored {
            guard let event = try? RuleEventCodec.decode(record.bytes), visibility.maySee(event.change) else { continue }
            let signature = ring.map { RuleSignatureAudit.status(of: event, ring: $0, check: Ed25519SignatureCheck()) }
            rows.append([String(record.offset), HTMLPage.escape(event.author), HTMLPage.escape(event.reason),
                         HTMLPage.escape(Timestamps.iso8601(event.recordedAt)),
                         HTMLPage.escape(Timestamps.iso8601(event.start)) + (event.force ? " (forced, backdated)" : ""),
                         HTMLPage.escape("\(PlannedRuleChange(change: event.change, start: event.start, end: event.end))"),
                         HTMLPage.escape(RuleLogRoutes.describe(record.outcome)),
                         HTMLPage.escape(signature.map { "\($0)" } ?? "unchecked")])
        }
        body += "<h2>Events</h2>" + HTMLPage.table(["version", "author", "reason", "recorded", "in force from", "change", "outcome", "signature"], rows)

        let book = try state.ruleBook(at: at, asOf: version)
        body += """
            <h2>Book at an instant</h2><form class="inline" method="get" action="/"><input type="hidden" name="page" value="rules">
            <label>at <input name="at" value="\(HTMLPage.escape(Timestamps.iso8601(at)))"></label>
            <label>as known after version <input name="version" value="\(version.map(String.init) ?? "")"></label>
            <label>diff from <input name="from" value="\(HTMLPage.escape(request.query("from") ?? ""))"></label>
            <label>to <input name="to" value="\(HTMLPage.escape(request.query("to") ?? ""))"></label><button>Show</button></form>
            <p>hash <code>\(HTMLPage.escape(book.contentHash))</code></p>
            """
        body += bookTable(visibility.filter(book: book.rules.canonicalJSON))
        if let from = try RuleLogRoutes.version(request, "from", state: state), let to = try RuleLogRoutes.version(request, "to", state: state) {
            let changes = RuleBookDiff.changes(from: visibility.filter(book: state.ruleSet(at: at, asOf: from).canonicalJSON),
                                               to: visibility.filter(book: state.ruleSet(at: at, asOf: to).canonicalJSON))
            body += "<h2>Diff of versions \(from) → \(to) at \(HTMLPage.escape(Timestamps.iso8601(at)))</h2>"
            body += changes.isEmpty ? "<p>No difference.</p>" : "<pre>" + changes.map { HTMLPage.escape($0.text) }.joined(separator: "\n") + "</pre>"
        }
        return HTMLPage.response(title: "Rule log", principal: principal, body: body)
    }

    /// The book's rules, one row each, members as canonical JSON (prices are decimal strings).
    static func bookTable(_ tree: CanonicalJSON) -> String {
        guard case .object(let sections) = tree else { return "" }
        var rows: [[String]] = []
        for name in ["mappings", "thresholds", "tiers", "scripts"] {
            guard case .array(let items)? = sections[name] else { continue }
            for item in items {
                var id = ""
                if case .object(let m) = item, case .string(let s)? = m["id"] { id = s }
                rows.append([name, HTMLPage.escape(id), "<code>\(HTMLPage.escape(item.text))</code>"])
            }
        }
        return HTMLPage.table(["kind", "id", "rule"], rows)
    }
}
