import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `tally serve` process on a free port for one test, stopped by `stop()` (and on deinit).
final class ServeSession {
    let process: Process
    let url: String
    let log: URL

    init(config: String, directory: URL) throws {
        log = directory.appendingPathComponent("serve-\(UUID().uuidString).log")
        process = try TallyProcess.start(["serve", "--config", config, "--listen", "127.0.0.1:0"], log: log)
        do { url = try ServeProcess.waitForURL(log: log, process: process) } catch {
            if process.isRunning { process.terminate(); process.waitUntilExit() }
            throw error
        }
    }

    /// The set-up the client sessions share: a noauth service (every caller CloudKitty's
    /// noauth admin) over `fixture`'s broker, with an empty rule log (no rules file) and its
    /// own state directory `state`. Returns the configuration path, to restart or run `tally`.
    static func noauth(_ fixture: EndToEndFixture, state: String) throws -> (config: String, serve: ServeSession) {
        let config = try RuleLogEndToEndTests.writeConfigWithoutRulesFile(fixture, state: state)
        try (String(contentsOfFile: config, encoding: .utf8) + "\napi: {auth: noauth}\n").write(toFile: config, atomically: true, encoding: .utf8)
        return (config, try ServeSession(config: config, directory: fixture.directory))
    }

    func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }

    deinit { stop() }

    /// Answers are seen as sent: a 302 (CloudKitty's PUT) is not followed.
    final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }
    static let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)

    /// One HTTP request; returns the status and the body.
    func request(_ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:]) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await Self.session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The real `cloudkitty` CLI (python-cloudkittyclient, installed by tools/setup.sh) against
    /// this service with the noauth plugin.
    func cloudkitty(_ args: [String], apiVersion: String = "1") throws -> (status: Int32, output: String) {
        try ExternalCommand.run(["cloudkitty", "--os-auth-type", "cloudkitty-noauth", "--os-endpoint", url,
                                 "--os-rating-api-version", apiVersion] + args)
    }
}

enum ExternalCommand {
    /// Runs a program found on PATH to completion; stdout and stderr together.
    static func run(_ args: [String], timeout: TimeInterval = 120) throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("cmd-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = args
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? handle.close()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// The value of `column` in the first data row of the client's `-f value -c column` output.
    static func firstLine(_ output: String) -> String {
        output.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }
}
