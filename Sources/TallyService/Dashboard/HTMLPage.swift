import Foundation
import Hummingbird
import TallyAudit

/// The dashboard's page frame: one stylesheet inline (no external asset), a navigation bar,
/// and helpers that escape every value put in a page. Numbers are the API's decimal text
/// (money in bills rounded for display by `money`, the exact text kept in `data-exact`);
/// each shown figure carries `data-num="KEY"` so the browser tests can read it back.
enum HTMLPage {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A query-string value.
    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? text
    }

    /// A figure the tests read back: `<span data-num="key">value</span>`.
    static func num(_ key: String, _ value: String) -> String {
        "<span class=\"num\" data-num=\"\(escape(key))\">\(escape(value))</span>"
    }

    /// An amount of money as a bill shows it, rounded half away from zero to the currency's
    /// minor unit (as `tally report` prints it), followed by the currency. The exact sum stays
    /// in the page: in `data-exact` (what the browser tests compare with the API) and in the
    /// tooltip, so nobody has to trust the rounding. `decimals` nil shows every digit.
    static func money(_ key: String, _ exact: ExactSum, currency: String?, decimals: Int?) -> String {
        let exactText = exact.canonicalText
        let shown = decimals.map { exact.rounded(toDecimals: $0) } ?? exactText
        let unit = currency.map { " " + escape($0) } ?? ""
        return "<span class=\"num\" data-num=\"\(escape(key))\" data-exact=\"\(escape(exactText))\" "
            + "title=\"exactly \(escape(exactText))\(unit)\">\(escape(shown))</span>\(unit)"
    }

    /// `money` rounded to `currency`'s minor unit (2 places unless the currency has another).
    static func money(_ key: String, _ exact: ExactSum, currency: String) -> String {
        money(key, exact, currency: currency, decimals: CurrencyMinorUnits.decimals(for: currency))
    }

    static func traceLink(_ frameID: String, _ label: String) -> String {
        "<a href=\"/?page=trace&amp;frame=\(query(frameID))\">\(escape(label))</a>"
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var html = "<table><thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows { html += "<tr>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>" }
        return html + "</tbody></table>"
    }

    static func response(title: String, principal: Principal?, body: String, status: HTTPResponse.Status = .ok) -> Response {
        var nav = ""
        if let principal {
            nav = "<nav><a href=\"/?page=overview\">Overview</a><a href=\"/?page=project\">Project</a>"
                + "<a href=\"/?page=rules\">Rule log</a>" + (principal.isAdmin ? "<a href=\"/?page=impact\">Price change impact</a>" : "")
                + "<span class=\"who\">\(escape(principal.name)) (\(principal.role.rawValue)\(principal.isAdmin ? "" : ": " + principal.projects.sorted().joined(separator: ", ")))</span></nav>"
        }
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) · Tally</title>
            <style>\(style)</style></head><body>\(nav)<main><h1>\(escape(title))</h1>\(body)</main></body></html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, principal: Principal?) -> Response {
        response(title: "\(status.code) \(status.reasonPhrase)", principal: principal,
                 body: "<p class=\"error\">\(escape(message))</p>", status: status)
    }

    static func signIn(failed: Bool) -> Response {
        response(title: "Sign in", principal: nil, body: """
            \(failed ? "<p class=\"error\">That token is unknown or revoked.</p>" : "")
            <form method="get" action="/"><input type="hidden" name="page" value="overview">
            <label>Token (from <code>tally tokens create</code>) <input type="password" name="token" size="48"></label>
            <button>Sign in</button></form>
            """, status: .unauthorized)
    }

    static let style = """
        body{font:14px system-ui,sans-serif;margin:0;color:#222}nav{background:#1f3a5f;padding:8px 16px}
        nav a{color:#fff;margin-right:16px;text-decoration:none}nav .who{color:#cde;float:right}
        main{padding:8px 24px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccd;padding:3px 8px;text-align:left}
        th{background:#eef}.num{font-variant-numeric:tabular-nums}.error{color:#a00}.note{color:#666}
        form.inline label{margin-right:12px}textarea{width:100%;font-family:monospace}svg text{font-size:10px}
        """
}
