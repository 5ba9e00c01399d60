import Hummingbird
import TallyCore
import TallyRuntime
import TallyWire

/// Price change impact (admin): paste or upload a candidate ruleset (prefilled with the rules
/// in force now), dry-run it against a period, see the per-project difference as a chart and
/// a table, and apply it with an author and a reason. The page's script only calls
/// `POST /tally/v1/impact[/apply]` and shows the decimal strings they answer; bar lengths are
/// the only thing it computes.
enum ImpactPage {
    static func render(_ request: Request, principal: Principal, rules: RuleLogView) async throws -> Response {
        guard principal.isAdmin else { throw APIError(.forbidden, "Only admins may change prices.") }
        let current = RulesetYAML.encode(try await rules.state().currentRules(at: WallClock.now()))
        let body = """
            <form id="impact"><p><label>Candidate ruleset (docs/RATING.md) — <input type="file" id="upload"></label></p>
            <textarea name="rules" rows="18">\(HTMLPage.escape(current))</textarea>
            <p class="inline"><label>in force from <input name="at" placeholder="now"></label>
            <label>re-price windows from <input name="from" required></label><label>to <input name="to" placeholder="now"></label>
            <label><input type="checkbox" name="force"> backdated (force)</label></p>
            <p><button type="button" id="dry">Dry run</button>
            <label>author <input name="author" value="\(HTMLPage.escape(principal.name))"\(principal == .noauth ? "" : " readonly")></label>
            <label>reason <input name="reason"></label><button type="button" id="apply">Apply</button></p></form>
            <div id="result"></div>
            <script>\(script)</script>
            """
        return HTMLPage.response(title: "Price change impact", principal: principal, body: body)
    }

    static let script = #"""
        const form = document.getElementById('impact'), out = document.getElementById('result');
        document.getElementById('upload').onchange = e => e.target.files[0].text().then(t => form.rules.value = t);
        const token = (document.cookie.match(/(?:^|; )tally_token=([^;]*)/) || [])[1];
        const esc = s => String(s).replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
        function body() {
          const b = {rules: form.rules.value, from: form.from.value, force: form.force.checked, reason: form.reason.value, author: form.author.value};
          if (form.at.value) b.at = form.at.value; if (form.to.value) b.to = form.to.value; return JSON.stringify(b);
        }
        async function call(path) {
          const headers = {'Content-Type': 'application/json'}; if (token) headers.Authorization = 'Bearer ' + token;
          const r = await fetch(path, {method: 'POST', headers, body: body()});
          const text = await r.text(); let json; try { json = JSON.parse(text); } catch (e) { json = {faultstring: text}; }
          return {ok: r.ok, json};
        }
        function chart(scopes) {
          const peak = Math.max(1e-12, ...scopes.map(s => Math.abs(parseFloat(s.difference))));
          let svg = '<svg xmlns="http://www.w3.org/2000/svg" width="700" height="' + (scopes.length * 22 + 10) + '">';
          scopes.forEach((s, i) => { const w = Math.abs(parseFloat(s.difference)) / peak * 300, neg = s.difference.startsWith('-');
            svg += '<text x="0" y="' + (i * 22 + 16) + '">' + esc(s.scope) + '</text><rect x="' + (neg ? 350 - w : 350) + '" y="' + (i * 22 + 4) +
              '" width="' + w + '" height="16" fill="' + (neg ? '#59a14f' : '#e15759') + '"><title>' + esc(s.difference) + '</title></rect>'; });
          return svg + '<line x1="350" x2="350" y1="0" y2="' + (scopes.length * 22 + 10) + '" stroke="#333"/></svg>';
        }
        document.getElementById('dry').onclick = async () => {
          out.textContent = 'replaying…'; const {ok, json} = await call('/tally/v1/impact');
          if (!ok) { out.innerHTML = '<p class="error">' + esc(json.faultstring || JSON.stringify(json)) + '</p>'; return; }
          let html = '<h2>Changes</h2><pre>' + esc(json.changes.join('\n')) + '</pre>';
          if (json.rejection) html += '<p class="error">' + esc(json.rejection) + '</p>';
          const scopes = (json.impact && json.impact.scopes) || [];
          html += '<h2>Per project</h2>' + chart(scopes) + '<table><tr><th>project</th><th>frames</th><th>changed</th><th>old total</th><th>new total</th><th>difference</th></tr>' +
            scopes.map(s => '<tr><td>' + esc(s.scope) + '</td><td>' + s.frames + '</td><td>' + s.changed + '</td><td data-num="old-' + esc(s.scope) + '">' + esc(s.old_total) +
              '</td><td data-num="new-' + esc(s.scope) + '">' + esc(s.new_total) + '</td><td data-num="difference-' + esc(s.scope) + '">' + esc(s.difference) + '</td></tr>').join('') + '</table>';
          out.innerHTML = html;
        };
        document.getElementById('apply').onclick = async () => {
          if (!form.reason.value) { out.innerHTML = '<p class="error">A reason is required to apply.</p>'; return; }
          const {ok, json} = await call('/tally/v1/impact/apply');
          out.innerHTML = ok ? '<p>Applied as rule version ' + esc(json.rule_version) + ' by ' + esc(json.author) + '; correction command ' + esc(json.replay_id) + ' queued for the rater.</p>'
                             : '<p class="error">' + esc(json.faultstring || JSON.stringify(json)) + '</p>';
        };
        """#
}
