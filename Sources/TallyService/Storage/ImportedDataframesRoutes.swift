import Foundation
import Hummingbird
import TallyCore
import TallyWire

/// `POST /v2/dataframes` (admin, as CloudKitty's policy): rated data from elsewhere (e.g. a
/// CloudKitty being migrated from). It is validated point by point, stored apart from the
/// rater's frames, marked `"source":"imported"`, and never enters Tally's summaries or bills;
/// `GET /tally/v1/imported?begin&end` reads it back (a reader: their projects' points only).
enum ImportedDataframesRoutes {
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext) {
        router.post("/v2/dataframes") { request, context -> Response in
            _ = try context.admin()
            let body = try await request.body.collect(upTo: 64 << 20)
            let points = try Self.points(Data(buffer: body))
            try service.requireIndex().appendImported(points.map { Array($0.json.text.utf8) })
            return Response(status: .noContent)
        }
        router.get("/tally/v1/imported") { request, context -> Response in
            let principal = try context.caller()
            let period = try QueryPeriod(request)
            let points = try service.requireIndex().importedPoints().compactMap { bytes -> String? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                      let begin = (object["begin"] as? String).flatMap({ try? TimestampParser.parse($0) }),
                      begin >= period.begin, begin < period.end else { return nil }
                let project = (object["groupby"] as? [String: Any])?["project_id"] as? String ?? ""
                return principal.maySee(project: project) ? String(decoding: bytes, as: UTF8.self) : nil
            }
            return Response.json(JSONValue.object([("total", .integer(points.count)), ("points", .array(points.map(JSONValue.raw)))]).text)
        }
    }

    struct Point { var json: JSONValue }

    /// CloudKitty's DataFrame list, flattened to points; the first problem is a 400 naming where.
    static func points(_ data: Data) throws -> [Point] {
        func bad(_ detail: String) -> HTTPError { HTTPError(.badRequest, message: "Invalid dataframes: \(detail).") }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let frames = root["dataframes"] as? [[String: Any]] else { throw bad("expected {\"dataframes\": [DataFrame, …]}") }
        var out: [Point] = []
        for (i, frame) in frames.enumerated() {
            guard let period = frame["period"] as? [String: Any],
                  let begin = (period["begin"] as? String).flatMap({ try? APIDate.parse($0, member: "begin") }),
                  let end = (period["end"] as? String).flatMap({ try? APIDate.parse($0, member: "end") }) else {
                throw bad("dataframes[\(i)].period needs begin and end as ISO 8601 dates")
            }
            guard begin < end else { throw bad("dataframes[\(i)].period: begin \(Timestamps.iso8601(begin)) is not before end \(Timestamps.iso8601(end))") }
            guard let usage = frame["usage"] as? [String: Any] else { throw bad("dataframes[\(i)].usage must be an object") }
            for (metric, list) in usage.sorted(by: { $0.key < $1.key }) {
                guard let items = list as? [[String: Any]] else { throw bad("dataframes[\(i)].usage.\(metric) must be a list") }
                for (j, item) in items.enumerated() {
                    let at = "dataframes[\(i)].usage.\(metric)[\(j)]"
                    guard let vol = item["vol"] as? [String: Any], let qty = Self.decimal(vol["qty"]),
                          let rating = item["rating"] as? [String: Any], let price = Self.decimal(rating["price"]) else {
                        throw bad("\(at) needs vol.qty and rating.price as numbers")
                    }
                    out.append(Point(json: .object([
                        ("source", .string("imported")), ("begin", .string(Timestamps.iso8601(begin))),
                        ("end", .string(Timestamps.iso8601(end))), ("metric", .string(metric)),
                        ("unit", .string(vol["unit"] as? String ?? "")), ("qty", .decimal(qty)), ("price", .decimal(price)),
                        ("groupby", .strings(Self.strings(item["groupby"]))), ("metadata", .strings(Self.strings(item["metadata"]))),
                    ])))
                }
            }
        }
        return out
    }

    /// A JSON number or decimal string; a float is taken by its shortest text, which is what
    /// the client's `json.dumps` wrote.
    static func decimal(_ value: Any?) -> ExactDecimal? {
        switch value {
        case let text as String: return ExactDecimal(text)
        case let number as NSNumber: return ExactDecimal("\(number)")
        default: return nil
        }
    }

    static func strings(_ value: Any?) -> [String: String] {
        (value as? [String: Any] ?? [:]).compactMapValues { v in v is NSNull ? nil : (v as? String ?? "\(v)") }
    }
}
