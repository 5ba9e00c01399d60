import Foundation
import Hummingbird
import TallyAudit
import TallyCore

/// Trace: a frame's revisions with the delta of each (quantity and price against the one
/// before — a correction shows both), the samples behind it, the rule events that priced it
/// and the arithmetic, from `FrameTrace` as `/tally/v1/trace/{id}`. Another project's frame is 404.
enum TracePage {
    static func render(_ request: Request, principal: Principal, service: ServiceContext) async throws -> Response {
        guard let id = request.query("frame") else { throw APIError.badRequest("which frame? (?page=trace&frame=FRAME_ID)") }
        guard let frame = try service.requireIndex().frame(id: id), principal.maySee(project: frame.scope) else {
            throw APIError.notFound("frame \(id) not found")
        }
        let config = service.config
        let rules = try await service.rules.state()
        let trace = try await Blocking.run { try FrameTrace.collect(frameID: id, config: config, rules: rules) }
        var body = "<p>Frame <code>\(HTMLPage.escape(id))</code>: \(HTMLPage.escape(frame.service)) of \(HTMLPage.escape(frame.resource)) "
            + "in project \(HTMLPage.escape(frame.scope)), window \(HTMLPage.escape(Timestamps.iso8601(frame.windowStart))) – "
            + "\(HTMLPage.escape(Timestamps.iso8601(frame.windowEnd)))</p>"
        var previous: (quantity: ExactDecimal, price: ExactDecimal)?
        var rows: [[String]] = []
        for bytes in trace.revisions {
            let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
            let quantity = (object["quantity"] as? String).flatMap(ExactDecimal.init) ?? .zero
            let price = (object["price"] as? String).flatMap(ExactDecimal.init) ?? .zero
            let revision = object["revision"] as? Int ?? 0
            let book = object["rule_book"] as? [String: Any]
            rows.append([HTMLPage.num("revision-\(revision)", String(revision)),
                         HTMLPage.num("quantity-\(revision)", quantity.canonicalText),
                         HTMLPage.num("price-\(revision)", price.canonicalText) + " " + HTMLPage.escape(object["currency"] as? String ?? ""),
                         previous.map { HTMLPage.num("delta-\(revision)", (price - $0.price).canonicalText) } ?? "first",
                         previous.map { (quantity - $0.quantity).canonicalText } ?? "",
                         HTMLPage.escape(object["status"] as? String ?? ""),
                         HTMLPage.escape(book.map { "version \($0["version"].map { "\($0)" } ?? "?")" } ?? ""),
                         "<details><summary>JSON</summary><code>\(HTMLPage.escape(String(decoding: bytes, as: UTF8.self)))</code></details>"])
            previous = (quantity, price)
        }
        body += "<h2>Revisions</h2>" + HTMLPage.table(["revision", "quantity", "price", "price delta", "quantity delta", "status", "rule book", "frame"], rows)
        body += "<h2>Arithmetic</h2><pre>" + FrameTrace.arithmeticLines(trace.latest["rating"]).map(HTMLPage.escape).joined(separator: "\n") + "</pre>"
        body += "<h2>Rule events that priced it</h2>" + HTMLPage.table(["rule", "version", "operation", "author", "reason", "recorded", "in force from"],
            trace.rules.flatMap { rule in rule.events.map { e in
                [HTMLPage.escape(rule.ruleID), String(e.offset), HTMLPage.escape(e.operation), HTMLPage.escape(e.author), HTMLPage.escape(e.reason),
                 HTMLPage.escape(Timestamps.iso8601(e.recordedAt)), HTMLPage.escape(Timestamps.iso8601(e.start)) + (e.force ? " (forced)" : "")]
            } })
        body += "<h2>Samples (\(trace.samples.count); lineage \(trace.lineageMatches ? "matches" : "DOES NOT match"))</h2>"
        body += HTMLPage.table(["timestamp", "volume", "topic", "partition", "offset", "sample id"], trace.samples.map { s in
            [HTMLPage.escape(Timestamps.iso8601(s.timestamp)), s.volume.canonicalText, HTMLPage.escape(s.topic), String(s.partition), String(s.offset), s.sampleID]
        })
        if !trace.problems.isEmpty { body += "<ul class=\"error\">" + trace.problems.map { "<li>\(HTMLPage.escape($0))</li>" }.joined() + "</ul>" }
        return HTMLPage.response(title: "Trace", principal: principal, body: body)
    }
}
