import Hummingbird
import TallyCore

/// CloudKitty's deprecated v1 collector API (`/v1/collector/mappings`, `/v1/collector/states`),
/// served so that its clients and API tests work unchanged. Tally has no collectors: its input
/// is Kafka topics (config `inputs`), so these mappings and states are bookkeeping only. They
/// change no bill, live in this process's memory and are lost on restart (docs/API.md).
enum CollectorRoutes {
    static func register(on router: Router<TallyRequestContext>) {
        let registry = CollectorRegistry()
        router.get("/v1/collector/mappings") { request, context -> Response in
            _ = try context.admin()
            let collector = request.query("collector")
            let mappings = await registry.mappings().filter { collector == nil || $0.collector == collector }
            return Response.json(CanonicalJSON.list("mappings", mappings.map(\.json)).text)
        }
        router.post("/v1/collector/mappings") { request, context -> Response in
            _ = try context.admin()
            let body = try await JSONBody.read(request)
            let mapping = CollectorMapping(service: try body.required("service"), collector: try body.required("collector"))
            guard await registry.add(mapping) else {
                throw APIError(.conflict, "Service \(mapping.service) already mapped to a collector")
            }
            return Response.json(mapping.json.text)
        }
        router.delete("/v1/collector/mappings") { request, context -> Response in
            _ = try context.admin()
            let service = try await JSONBody.read(request).string("service") ?? request.query("service")
            guard let service, !service.isEmpty else { throw APIError.badRequest("`service` is required") }
            guard await registry.remove(service: service) else { throw APIError.notFound("No mapping for service: \(service)") }
            return Response(status: .noContent)
        }
        router.get("/v1/collector/mappings/:service") { _, context -> Response in
            _ = try context.admin()
            let service = try context.parameters.require("service")
            guard let mapping = await registry.mappings().first(where: { $0.service == service }) else {
                throw APIError.notFound("No mapping for service: \(service)")
            }
            return Response.json(mapping.json.text)
        }
        router.delete("/v1/collector/mappings/:service") { _, context -> Response in
            _ = try context.admin()
            let service = try context.parameters.require("service")
            guard await registry.remove(service: service) else { throw APIError.notFound("No mapping for service: \(service)") }
            return Response(status: .noContent)
        }
        router.get("/v1/collector/states") { request, context -> Response in
            _ = try context.admin()
            guard let name = request.query("name") else { throw APIError.badRequest("`name` is required") }
            return Response.json(state(name, enabled: await registry.isEnabled(name)).text)
        }
        router.put("/v1/collector/states") { request, context -> Response in
            _ = try context.admin()
            let body = try await JSONBody.read(request)
            let name = try body.required("name")
            let enabled = try body.bool("enabled") ?? false
            await registry.set(name, enabled: enabled)
            return Response.json(state(name, enabled: enabled).text)
        }
    }

    static func state(_ name: String, enabled: Bool) -> CanonicalJSON {
        .object(["name": .string(name), "enabled": .bool(enabled)])
    }
}

struct CollectorMapping: Sendable, Equatable {
    var service: String
    var collector: String
    var json: CanonicalJSON { .object(["service": .string(service), "collector": .string(collector)]) }
}

/// The collector mappings and states set through the API, in memory.
actor CollectorRegistry {
    private var byService: [String: CollectorMapping] = [:]
    private var enabled: Set<String> = []

    func mappings() -> [CollectorMapping] { byService.values.sorted { $0.service < $1.service } }

    func add(_ mapping: CollectorMapping) -> Bool {
        guard byService[mapping.service] == nil else { return false }
        byService[mapping.service] = mapping
        return true
    }

    func remove(service: String) -> Bool { byService.removeValue(forKey: service) != nil }

    func isEnabled(_ name: String) -> Bool { enabled.contains(name) }

    func set(_ name: String, enabled on: Bool) {
        if on { enabled.insert(name) } else { enabled.remove(name) }
    }
}
