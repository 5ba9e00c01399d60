import Hummingbird
import TallyCore
import TallyRuntime
import TallyWire

/// What every hashmap route shares: the rule log, reads as a catalog, and writes as rule
/// events authored by the caller (an admin: CloudKitty's `rating:module_config` policy).
struct HashmapAPI: Sendable {
    let rules: RuleLogView

    func catalog() async throws -> HashmapCatalog {
        HashmapCatalog(state: try await rules.state(), now: WallClock.now())
    }

    /// Publishes what `plan` makes of the fresh catalog as one event authored by the
    /// caller; returns the catalog that includes it (`AuditedRules.write`).
    func write(_ context: TallyRequestContext, reason: String, force: Bool = false,
               plan: @escaping @Sendable (HashmapCatalog, EventTime) throws -> [PlannedRuleChange]) async throws -> HashmapCatalog {
        let state = try await AuditedRules.write(rules, context, reason: reason, force: force) { state, now in
            try plan(HashmapCatalog(state: state, now: now), now)
        }
        return HashmapCatalog(state: state, now: WallClock.now())
    }

    /// Deletes of every live rule that uses `uses`, for CloudKitty's cascading deletes.
    static func cascade(_ catalog: HashmapCatalog, at now: EventTime, where uses: (HashmapCatalog.Rule) -> Bool) -> [PlannedRuleChange] {
        catalog.rules.filter { rule in
            !rule.deleted && (rule.validity.end.map { $0 > now } ?? true) && uses(rule)
        }.reduce(into: [PlannedRuleChange]()) { changes, rule in
            let target = RuleTarget.rule(rule.kind, rule.ruleID)
            // A rule id may have several incarnations: delete the live one once.
            if !changes.contains(where: { $0.change == .delete(target) }) {
                changes.append(PlannedRuleChange(change: .delete(target), start: now))
            }
        }
    }

    /// When a declaration created through the API starts. CloudKitty's services, fields and
    /// groups are timeless, so that rules may be backdated onto them (`?force=true`): a new
    /// name is declared from 1970 (the epoch, where seeded rules start too; a field from its
    /// service's start), a name created again
    /// from the end of its previous incarnation. A name still in force gets `now`, which the
    /// fold refuses as the duplicate it is (409). Such creates are published forced.
    static func declarationStart(_ catalog: HashmapCatalog, _ target: RuleTarget, floor: EventTime = EventTime(micros: 0),
                                 now: EventTime) -> EventTime {
        let pool: [HashmapCatalog.Declaration]
        switch target {
        case .service: pool = catalog.services
        case .field: pool = catalog.fields
        case .group: pool = catalog.groups
        case .rule: return now
        }
        guard let last = pool.last(where: { $0.target == target }) else { return floor }
        guard let end = last.validity.end, last.deleted || end <= now else { return now }
        return max(end, floor)
    }

    static func created(_ json: CanonicalJSON, location: String) -> Response {
        var response = Response.json(json.text, status: .created)
        response.headers[.location] = location
        return response
    }

    static func noContent() -> Response { Response(status: .noContent) }
}

/// CloudKitty's dates: ISO 8601, naive means UTC; a date-only `end` means 23:59:59 of that day.
/// The basic format (`20190723T122810Z`, which CloudKitty's `iso8601.parse_date` reads and the
/// client's own dataframes fixture uses) is accepted too. CloudKitty prints naive UTC.
enum APIDate {
    static func parse(_ text: String, member: String, isEnd: Bool = false) throws -> EventTime {
        if text.count == 10, let day = try? TimestampParser.parse(text + "T00:00:00Z") {
            return isEnd ? EventTime(micros: day.micros + 86_399_000_000) : day
        }
        do { return try TimestampParser.parse(extended(text)) } catch {
            throw APIError.badRequest("`\(member)` '\(text)' is not a date (ISO 8601): \(error)")
        }
    }

    /// `YYYYMMDDThhmmss[.f][zone]` (zone `Z`, `±hhmm` or `±hh`) in the extended format; any
    /// other text as it is.
    static func extended(_ text: String) -> String {
        let chars = Array(text)
        guard chars.count >= 15, chars[8] == "T", chars[0..<8].allSatisfy(\.isASCIIDigit),
              chars[9..<15].allSatisfy(\.isASCIIDigit) else { return text }
        let s = String(chars[0..<8]), t = String(chars[9..<15])
        func cut(_ x: String, _ from: Int, _ to: Int) -> Substring {
            x[x.index(x.startIndex, offsetBy: from)..<x.index(x.startIndex, offsetBy: to)]
        }
        return "\(cut(s, 0, 4))-\(cut(s, 4, 6))-\(cut(s, 6, 8))T\(cut(t, 0, 2)):\(cut(t, 2, 4)):\(cut(t, 4, 6))"
            + String(chars[15...])
    }

    /// A date as CloudKitty's API prints it: naive UTC (`2026-12-05T10:00:00`, microseconds
    /// only when there are some); null for none.
    static func naive(_ t: EventTime?) -> CanonicalJSON {
        t.map { .string(String(Timestamps.iso8601($0).dropLast())) } ?? .null
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
