import Dispatch
import Hummingbird

/// Tally's audit API (docs/API.md, "Audit"): the trace of a frame, the rule log (events,
/// book at an instant, diff of two versions, chain status) and the impact of a candidate
/// price list with its apply, and the bill `tally report` prints. Everything here reads the topics (slow next to the index),
/// so handlers run their work off the event loop (`Blocking.run`).
enum AuditRoutes {
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext, rules: RuleLogView) {
        TraceRoutes.register(on: router, service: service)
        RuleLogRoutes.register(on: router, service: service, rules: rules)
        ImpactRoutes.register(on: router, service: service, rules: rules)
        ReportRoutes.register(on: router, service: service)
    }
}

/// Runs blocking work (Kafka reads, replays) on a global queue so the HTTP event loop keeps serving.
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try work() }) }
        }
    }
}
