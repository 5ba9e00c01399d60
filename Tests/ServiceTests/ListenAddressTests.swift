import Testing
import TallyService

@Suite struct ListenAddressTests {
    @Test func hostAndPortAreSplitAtTheLastColon() throws {
        #expect(try TallyServer.parseListen("127.0.0.1:8889") == ("127.0.0.1", 8889))
        #expect(try TallyServer.parseListen("[::1]:0") == ("::1", 0))
    }

    @Test func malformedAddressesNameTheValue() {
        for bad in ["8889", ":8889", "localhost:http", "127.0.0.1:70000"] {
            do {
                _ = try TallyServer.parseListen(bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect("\(error)".contains("'\(bad)'"))
            }
        }
    }
}
