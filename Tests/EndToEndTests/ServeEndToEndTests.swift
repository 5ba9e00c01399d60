import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `tally serve` as a real process: it binds the address it is given (port 0: any free
/// port), says where on stdout, answers CloudKitty's version document and stops on SIGTERM.
@Suite struct ServeEndToEndTests {
    @Test func servesTheVersionDocumentAndStopsOnSigterm() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try EndToEndFixture.metrics.write(to: directory.appendingPathComponent("metrics.yaml"), atomically: true, encoding: .utf8)
        let config = directory.appendingPathComponent("tally.yaml")
        try "metrics: metrics.yaml\napi: {auth: noauth}\n".write(to: config, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("serve.log")
        let process = try TallyProcess.start(["serve", "--config", config.path, "--listen", "127.0.0.1:0"], log: log)
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }

        let url = try ServeProcess.waitForURL(log: log, process: process)
        let (data, response) = try await URLSession.shared.data(from: URL(string: url + "/")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let body = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let versions = try #require(body["versions"] as? [[String: Any]])
        #expect(versions.map { $0["id"] as? String } == ["v1", "v2"])
        #expect(versions.map { $0["status"] as? String } == ["CURRENT", "EXPERIMENTAL"])

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    @Test func aBadListenAddressIsAClearError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("tally.yaml")
        try "metrics: metrics.yaml\n".write(to: config, atomically: true, encoding: .utf8)
        let result = try TallyProcess.run(["serve", "--config", config.path, "--listen", "nowhere"], timeout: 60)
        #expect(result.status != 0)
        #expect(result.output.contains("listen address 'nowhere' is not HOST:PORT"), "\(result.output)")
    }
}

/// Finding a `tally serve` process's URL from the line it prints once bound.
enum ServeProcess {
    static func waitForURL(log: URL, process: Process, timeout: TimeInterval = 60) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("tally serve: listening on ") }) {
                return String(line.dropFirst("tally serve: listening on ".count))
            }
            guard process.isRunning else { throw ServeFailure(log: text) }
            usleep(20_000)
        }
        throw ServeFailure(log: "no 'listening on' line within \(timeout) s")
    }

    struct ServeFailure: Error, CustomStringConvertible {
        var log: String
        var description: String { "tally serve did not start: \(log)" }
    }
}
