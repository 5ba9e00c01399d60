import Hummingbird
import TallyCore
import TallyCrypto
import TallyRuntime
import TallyWire

/// The rule log over HTTP, for auditors (docs/API.md, "Audit"):
/// - `GET /tally/v1/rules/events`: every stored event, oldest first, with its outcome and
///   signature status (checked against this service's key), the event itself verbatim.
/// - `GET /tally/v1/rules/book?at=T[&version=V]`: the rule book in force at T as known after V.
/// - `GET /tally/v1/rules/diff?from=V1&to=V2[&at=T]`: what changed in the book at T between
///   two versions (rule-log offsets), and the events in between.
/// - `GET /tally/v1/rules/verify[?expected_head=H]`: the hash chain's status.
/// Readers see global rules and their own tenants' rules only (`RuleVisibility`). Everything
/// but `verify` answers from the rule-log follower's snapshot; `verify` re-reads the topic,
/// because its point is to check what the broker holds now, not what this process folded.
enum RuleLogRoutes {
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext, rules: RuleLogView) {
        let ring = serviceKeyRing(service)
        router.get("/tally/v1/rules/events") { _, context -> Response in
            let principal = try context.caller()
            let snapshot = try await rules.snapshot()
            let visibility = RuleVisibility(principal: principal, state: snapshot.state)
            return Response.json(JSONValue.object([("events", .array(events(snapshot.records[...], visibility: visibility, ring: ring)))]).text)
        }
        router.get("/tally/v1/rules/book") { request, context -> Response in
            let principal = try context.caller()
            let state = try await rules.state()
            let at = try request.query("at").map { try QueryPeriod.time($0, name: "at") } ?? WallClock.now()
            let version = try version(request, "version", state: state)
            let book = try state.ruleBook(at: at, asOf: version)
            let tree = RuleVisibility(principal: principal, state: state).filter(book: book.rules.canonicalJSON)
            return Response.json(JSONValue.object([
                ("at", .string(Timestamps.iso8601(at))),
                ("version", (version ?? state.version).map { .integer(Int($0)) } ?? .null),
                ("hash", .string(book.contentHash)), ("filtered", .bool(!principal.isAdmin)),
                ("rules", .raw(tree.text)),
            ]).text)
        }
        router.get("/tally/v1/rules/diff") { request, context -> Response in
            let principal = try context.caller()
            let snapshot = try await rules.snapshot()
            let state = snapshot.state
            guard let from = try version(request, "from", state: state), let to = try version(request, "to", state: state) else {
                throw APIError.badRequest("`from` and `to` (rule-log versions, i.e. event offsets) are required")
            }
            let at = try request.query("at").map { try QueryPeriod.time($0, name: "at") } ?? WallClock.now()
            let visibility = RuleVisibility(principal: principal, state: state)
            let before = visibility.filter(book: state.ruleSet(at: at, asOf: from).canonicalJSON)
            let after = visibility.filter(book: state.ruleSet(at: at, asOf: to).canonicalJSON)
            let between = snapshot.records.filter { $0.offset > min(from, to) && $0.offset <= max(from, to) }
            return Response.json(JSONValue.object([
                ("from", .integer(Int(from))), ("to", .integer(Int(to))), ("at", .string(Timestamps.iso8601(at))),
                ("changes", .array(RuleBookDiff.changes(from: before, to: after))),
                ("events", .array(events(between[...], visibility: visibility, ring: ring))),
            ]).text)
        }
        router.get("/tally/v1/rules/verify") { request, context -> Response in
            _ = try context.caller()
            let expected = request.query("expected_head")
            let (report, stored) = try await Blocking.run { (try rules.client.verify(expectedHead: expected), try rules.client.readEvents()) }
            let findings = ring.map { RuleSignatureAudit.audit(stored, ring: $0, check: Ed25519SignatureCheck()) } ?? []
            return Response.json(JSONValue.object([
                ("intact", .bool(report.isIntact)),
                ("problem", report.firstProblem.map { .string("\($0)") } ?? .null),
                ("events", .integer(report.eventCount)), ("chained", .integer(report.chainedCount)),
                ("from_racing_writers", .integer(report.staleCount)), ("head", .string(report.head)),
                ("signed_by_this_service", .integer(findings.filter(\.status.isTrusted).count)),
                ("not_signed_by_this_service", .integer(findings.filter { !$0.status.isTrusted }.count)),
            ]).text)
        }
    }

    /// The events a caller may see, as JSON: derived members for tables, the event verbatim.
    static func events(_ stored: ArraySlice<RuleLogSnapshot.Record>, visibility: RuleVisibility, ring: PublicKeyRing?) -> [JSONValue] {
        stored.compactMap { record -> JSONValue? in
            let outcome = describe(record.outcome)
            guard let event = try? RuleEventCodec.decode(record.bytes) else {
                return visibility.principal.isAdmin
                    ? .object([("offset", .integer(Int(record.offset))), ("outcome", .string(outcome))]) : nil
            }
            guard visibility.maySee(event.change) else { return nil }
            let signature = ring.map { RuleSignatureAudit.status(of: event, ring: $0, check: Ed25519SignatureCheck()) }
            return .object([
                ("offset", .integer(Int(record.offset))), ("id", .string(event.id)),
                ("author", .string(event.author)), ("reason", .string(event.reason)),
                ("recorded_at", .string(Timestamps.iso8601(event.recordedAt))),
                ("effective_at", .string(Timestamps.iso8601(event.start))),
                ("end", event.end.map { .string(Timestamps.iso8601($0)) } ?? .null),
                ("force", .bool(event.force)),
                ("summary", .string("\(PlannedRuleChange(change: event.change, start: event.start, end: event.end))")),
                ("outcome", .string(outcome)),
                ("signature", .string(signature.map { "\($0)" } ?? "unchecked: this service has no signing key")),
                ("signature_trusted", .bool(signature?.isTrusted ?? false)),
                ("event", .raw(String(decoding: record.bytes, as: UTF8.self))),
            ])
        }
    }

    static func describe(_ outcome: RuleEventOutcome) -> String {
        switch outcome {
        case .accepted: return "accepted"
        case .rejected(let r): return "rejected \(r)"
        case .alreadyFolded: return "repeated offset"
        }
    }

    /// A version parameter: a rule-log offset no later than the last event.
    static func version(_ request: Request, _ name: String, state: RuleLogState) throws -> Int64? {
        guard let text = request.query(name) else { return nil }
        guard let value = Int64(text), value >= 0 else { throw APIError.badRequest("`\(name)` must be a rule-log version (an event offset), not '\(text)'") }
        if let last = state.lastOffset, value > last {
            throw APIError.badRequest("`\(name)` \(value) is after the last event (offset \(last))")
        }
        return value
    }

    /// This service's public key as a ring, so signatures are checked against the key that
    /// signs what the API writes (nil in unit tests without a signer).
    static func serviceKeyRing(_ service: ServiceContext) -> PublicKeyRing? {
        guard let signer = service.ruleSigner as? Ed25519RuleSigner else { return nil }
        return try? PublicKeyRing(text: ServiceSigningKey.publicKeyLine(signer.key), file: "the service's signing key",
                                  keyID: Ed25519.keyID(publicKey:))
    }
}
