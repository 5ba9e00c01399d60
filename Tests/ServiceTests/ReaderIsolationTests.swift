import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TallyCore
import TallyIndex
import TallyRuntime
import TallyWire
@testable import TallyService

/// Tenant isolation of every read endpoint of this branch, fuzzed: a reader of `proj-alpha`
/// asks with random tenants, filters, groupbys and paging, and no answer may carry another
/// project's id, frame ids or money (their prices have digits alpha's sums can never show).
@Suite struct ReaderIsolationTests {
    struct ReaderMiddleware: RouterMiddleware {
        typealias Context = TallyRequestContext
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            var context = context
            context.principal = Principal(name: "reader", role: .reader, projects: ["proj-alpha"])
            return try await next(request, context)
        }
    }

    @Test func aReaderNeverObtainsAnotherProjectsNumbers() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-isolation-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = try FrameIndex(path: path, mapSizeMiB: 64)
        defer { index.close() }
        var records: [FrameIndex.Record] = [], foreignIds: [String] = []
        for n in 0..<60 {
            let scope = ["proj-alpha", "proj-bravo", "proj-charlie"][n % 3]
            let price = scope == "proj-alpha" ? "\(n % 5 + 1)" : "0.0777\(n)"  // alpha sums are integers
            let id = FrameIndexTests.id(n + 100)
            if scope != "proj-alpha" { foreignIds.append(id) }
            records.append(.init(partition: 0, offset: Int64(n), value: FrameIndexTests.frame(
                id: id, scope: scope, metric: n % 2 == 0 ? "instance" : "volume.size",
                start: "2026-11-\(String(format: "%02d", n % 20 + 1))T00:00:00Z", price: price, quantity: "1",
                flavor: ["m1.small", "m1.large"][n % 2])))
        }
        try index.apply(records)
        let metrics = try MetricsConfigLoader.load(yaml: "metrics:\n  instance: {unit: instance, period: PT1H}\n")
        let service = ServiceContext(config: ServiceConfig(bootstrapServers: "", statePath: "", metricsFile: ""), configPath: "",
                                     metrics: metrics, index: index)
        let router = Router(context: TallyRequestContext.self)
        router.add(middleware: ReaderMiddleware())
        ReportV1Routes.register(on: router, service: service)
        SummaryV2Routes.register(on: router, service: service)
        DataframesRoutes.register(on: router, service: service)
        ScopeRoutes.register(on: router, service: service)
        FramesRoutes.register(on: router, service: service)

        var rng = SystemRandomNumberGenerator()
        let tenants = ["proj-alpha", "proj-bravo", "proj-charlie"]
        let groupbys = ["type", "project_id", "tenant_id", "id", "time", "time-d", "time-w", "time-m", "flavor_name", "user_id"]
        let period = "begin=2026-11-01T00:00:00Z&end=2026-12-01T00:00:00Z"
        var uris = ["/v1/report/total?\(period)", "/v1/report/summary?\(period)", "/v1/storage/dataframes?\(period)",
                    "/v1/report/total?\(period)&all_tenants=true", "/v1/report/summary?\(period)&all_tenants=true&groupby=tenant_id",
                    "/v2/summary?\(period)", "/v2/dataframes?\(period)", "/tally/v1/frames?\(period)&revisions=true"]
        for _ in 0..<150 {
            let tenant = tenants.randomElement(using: &rng)!
            let groups = (0..<Int.random(in: 1...3, using: &rng)).map { _ in groupbys.randomElement(using: &rng)! }
            let filters = [["project_id:\(tenant)"], ["tenant_id:\(tenant)"], ["type:instance"], ["flavor_name:m1.large", "project_id:\(tenant)"], []]
                .randomElement(using: &rng)!
            let paging = "offset=\(Int.random(in: 0...3, using: &rng))&limit=\(Int.random(in: 1...50, using: &rng))"
            uris.append("/v2/summary?\(period)&groupby=\(groups.joined(separator: ","))&filters=\(filters.joined(separator: ","))&\(paging)")
            uris.append("/v2/summary?\(period)&groupby=\(groups.joined(separator: ","))&response_format=object&filters=\(filters.joined(separator: ","))")
            uris.append("/v2/dataframes?\(period)&filters=\(filters.joined(separator: ","))&\(paging)")
            uris.append("/v1/report/summary?\(period)&tenant_id=\(tenant)&groupby=tenant_id,res_type")
            uris.append("/v1/report/total?\(period)&tenant_id=\(tenant)")
            uris.append("/v1/storage/dataframes?\(period)&tenant_id=\(tenant)")
            uris.append("/tally/v1/frames?\(period)&scope=\(tenant)")
            uris.append("/tally/v1/frames/\(foreignIds.randomElement(using: &rng)!)")
        }
        let app = Application(router: router)
        let requests = uris, foreign = foreignIds
        try await app.test(.router) { client in
            for uri in requests {
                try await client.execute(uri: uri, method: .get) { response in
                    let body = String(buffer: response.body)
                    #expect(!body.contains("proj-bravo") && !body.contains("proj-charlie"), "\(uri): \(body)")
                    #expect(!body.contains("0777"), "\(uri): \(body)")
                    #expect(!foreign.contains { body.contains($0) }, "\(uri): \(body)")
                    #expect([200, 403, 404].contains(response.status.code), "\(uri): \(response.status)")
                }
            }
            // The reader's own numbers are there: alpha's total is the sum of its frames.
            try await client.execute(uri: "/v1/report/total?\(period)", method: .get) { response in
                let expected = (0..<60).filter { $0 % 3 == 0 }.reduce(0) { $0 + $1 % 5 + 1 }
                #expect(String(buffer: response.body) == "\"\(expected)\"")
            }
            for uri in ["/v1/report/tenants?\(period)", "/v2/scope"] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .forbidden, "\(uri)") }
            }
        }
    }
}
