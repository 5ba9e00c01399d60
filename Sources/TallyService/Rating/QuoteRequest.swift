import Foundation
import TallyCore
import TallyRuntime

/// `POST /v1/rating/quote`: `{"resources":[{"service","volume","desc":{"groupby":{…},
/// "metadata":{…}}}]}` priced with the rules in force now, summed. An admin gets the
/// global rules only (CloudKitty's quote); a reader gets their own project's rules on top:
/// the `project_id` of the description when it is one of theirs, else their only project.
enum QuoteRequest {
    static func price(_ body: JSONBody, caller: Principal, rules: RuleLogSnapshot, at time: EventTime) throws -> ExactDecimal {
        guard let resources = body.members["resources"] as? [[String: Any]], !resources.isEmpty else {
            throw APIError.badRequest("`resources` must be a non-empty list of {service, volume, desc}")
        }
        guard rules.version != nil else { return .zero }
        let book: RuleBook
        do { book = try rules.ruleBook(at: time) } catch { throw APIError(.internalServerError, "\(error)") }
        let rater = Rater(book: book, scriptEvaluator: LuaScriptEvaluatorFactory.make())
        var total = ExactDecimal.zero
        for (index, resource) in resources.enumerated() {
            let item = JSONBody(members: resource)
            let service = try item.required("service")
            guard let volume = try item.decimal("volume") else { throw APIError.badRequest("resource \(index + 1): `volume` is required") }
            let (description, project) = describe(resource["desc"] as? [String: Any] ?? [:])
            let tenant = try tenant(of: caller, described: project)
            let result = rater.quote(service: service, quantity: volume, description: description, tenant: tenant, at: time)
            if case .failed(let reason) = result.status { throw APIError.badRequest("resource \(index + 1): rating failed: \(reason)") }
            total = total + result.price
        }
        return total
    }

    /// The description's fields (CloudKitty 16: only `groupby` and `metadata` are matched; a
    /// flat description matches no field) and the project it names, if any.
    static func describe(_ desc: [String: Any]) -> (RatingDescription, String?) {
        var description = RatingDescription()
        var project: String?
        for section in ["groupby", "metadata"] {
            for (key, value) in desc[section] as? [String: Any] ?? [:] {
                let text: String, kind: MetaKind
                switch value {
                case let s as String: text = s; kind = .string
                case let n as NSNumber:
                    let d = n.doubleValue
                    if d == d.rounded(), abs(d) < 1e15 { text = String(Int64(d)); kind = .int } else { text = "\(d)"; kind = .float }
                default: continue
                }
                if key == "project_id" { project = text }
                description.set(key, kind: kind, text: text)
            }
        }
        return (description, project)
    }

    static func tenant(of caller: Principal, described project: String?) throws -> String? {
        guard !caller.isAdmin else { return nil }
        if let project {
            guard caller.maySee(project: project) else { throw APIError(.forbidden, "Access was denied to project \(project).") }
            return project
        }
        return caller.projects.count == 1 ? caller.projects.first : nil
    }
}
