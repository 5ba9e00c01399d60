import Hummingbird
import TallyCore
import TallyIndex

/// Tally's own read API for frames (docs/API.md): what CloudKitty has no words for.
/// - `GET /tally/v1/frames?scope=S&begin&end[&revisions=true]`: the latest revision of every
///   frame of the scope(s) whose window starts in the period, verbatim, in window order;
///   with `revisions=true`, each with every revision received (oldest first).
/// - `GET /tally/v1/frames/{frame_id}`: one frame's latest revision and all its revisions.
/// A reader sees only their projects' frames; another project's frame is 404, as if absent.
enum FramesRoutes {
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext) {
        router.get("/tally/v1/frames") { request, context -> Response in
            let principal = try context.caller()
            let period = try QueryPeriod(request)
            let asked = Set(request.listParameter("scope"))
            let index = try service.requireIndex()
            let frames = try index.frames(scopes: VisibleScopes.of(principal, asked: asked.isEmpty ? nil : asked),
                                          from: period.begin, to: period.end)
            let withRevisions = request.boolParameter("revisions")
            let items: [JSONValue] = try DataframesRoutes.ordered(frames).map { frame in
                let latest = JSONValue.raw(String(decoding: frame.bytes, as: UTF8.self))
                guard withRevisions else { return latest }
                return .object([("frame", latest), ("revisions", .array(try index.revisions(of: frame.frameId).map {
                    .raw(String(decoding: $0, as: UTF8.self))
                }))])
            }
            return Response.json(JSONValue.object([("begin", .string(Timestamps.iso8601(period.begin))),
                                                   ("end", .string(Timestamps.iso8601(period.end))),
                                                   ("total", .integer(items.count)), ("frames", .array(items))]).text)
        }
        router.get("/tally/v1/frames/{id}") { _, context -> Response in
            let principal = try context.caller()
            let id = try context.parameters.require("id")
            let index = try service.requireIndex()
            guard let frame = try index.frame(id: id), principal.maySee(project: frame.scope) else {
                throw HTTPError(.notFound, message: "Frame not found.")
            }
            let revisions = try index.revisions(of: id).map { JSONValue.raw(String(decoding: $0, as: UTF8.self)) }
            return Response.json(JSONValue.object([("frame", .raw(String(decoding: frame.bytes, as: UTF8.self))),
                                                   ("revisions", .array(revisions))]).text)
        }
    }
}
