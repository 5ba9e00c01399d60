import Hummingbird

/// `GET /`: the API versions, in CloudKitty's shape (v1 current, v2 experimental).
enum VersionsRoutes {
    static func register(on router: Router<TallyRequestContext>, service: ServiceContext) {
        router.get("/") { request, _ -> Response in
            let base = request.head.authority.map { "http://\($0)" } ?? ""
            let body = """
            {"versions":[{"id":"v1","links":[{"href":"\(base)/v1/","rel":"self"}],"status":"CURRENT"},\
            {"id":"v2","links":[{"href":"\(base)/v2/","rel":"self"}],"status":"EXPERIMENTAL"}]}
            """
            return Response.json(body)
        }
    }
}

extension Response {
    /// A JSON response from already-encoded text (the service encodes its own JSON so that
    /// decimals keep CloudKitty's string form and output is byte-stable).
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
