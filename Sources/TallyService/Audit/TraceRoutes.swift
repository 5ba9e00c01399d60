import Hummingbird
import TallyAudit

/// `GET /tally/v1/trace/{frame_id}`: what `tally trace --format json` prints — the frame's
/// revisions verbatim, the samples read back through its lineage, the rule events that
/// priced it and the arithmetic. A reader asking for another project's frame gets 404, as
/// if it did not exist (the index says whose it is before anything is read from Kafka).
enum TraceRoutes {
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext) {
        router.get("/tally/v1/trace/{id}") { _, context -> Response in
            let principal = try context.caller()
            let id = try context.parameters.require("id")
            guard let frame = try service.requireIndex().frame(id: id), principal.maySee(project: frame.scope) else {
                throw APIError.notFound("frame \(id) not found")
            }
            let config = service.config
            let rules = try await service.rules.state()  // the rule part from the follower's fold, not the topic
            let text = try await Blocking.run { () throws -> String in
                do { return try FrameTrace.collect(frameID: id, config: config, rules: rules).json() } catch let error as TraceError {
                    throw APIError.notFound("\(error)")
                } catch {
                    throw APIError(.serviceUnavailable, "the trace of frame \(id) cannot be read from the broker: \(error)")
                }
            }
            return Response.json(text)
        }
    }
}
