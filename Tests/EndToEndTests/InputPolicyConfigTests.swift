import Foundation
import Testing
import TallyEngine
import TallyRuntime

/// The per-input keys of the service configuration (docs/CONFIG.md): where the telemetry
/// secret comes from, accepted priorities, the unknown-meter policy, and their errors.
@Suite struct InputPolicyConfigTests {
    static func load(_ input: String, environment: [String: String] = [:]) throws -> ServiceConfig {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "not-a-real-secret\n".write(to: directory.appendingPathComponent("secret"), atomically: true, encoding: .utf8)
        let path = directory.appendingPathComponent("tally.yaml").path
        try "kafka:\n  inputs:\n    - \(input)\nmetrics: metrics.yaml\n".write(toFile: path, atomically: true, encoding: .utf8)
        return try ServiceConfig.load(path: path, environment: environment)
    }

    @Test func policiesAreRead() throws {
        let file = try Self.load("{topic: m, format: ceilometer, signature_secret: {file: secret}, priorities: [SAMPLE, INFO], unknown_meters: count}")
        let input = try #require(file.inputs.first)
        guard case .file(let path) = input.signatureSecret else { Issue.record("no secret file"); return }
        #expect(path.hasSuffix("/secret"))
        #expect(input.priorities == ["SAMPLE", "INFO"])
        #expect(input.unknownMeters == .count)
        let env = try Self.load("{topic: m, format: ceilometer, signature_secret: {env: TELEMETRY}}", environment: ["TELEMETRY": "s3cret"])
        #expect(env.inputs.first?.signatureSecret == .environment("TELEMETRY"))
        #expect(try ServiceConfig.Input.readSecret(.environment("TELEMETRY"), environment: ["TELEMETRY": "s3cret"], context: "t")
                == Array("s3cret".utf8))
        let defaults = try Self.load("{topic: m, format: ceilometer}")
        #expect(defaults.inputs.first?.signatureSecret == nil)
        #expect(defaults.inputs.first?.priorities == ["SAMPLE"])
        #expect(defaults.inputs.first?.unknownMeters == .deadLetter)
    }

    @Test(arguments: [
        ("{topic: m, format: ceilometer, signature_secret: pasted-secret-value}", "must be {file: PATH} or {env: VARIABLE}"),
        ("{topic: m, format: ceilometer, signature_secret: {env: UNSET_VARIABLE}}", "the environment variable UNSET_VARIABLE is empty or missing"),
        ("{topic: m, format: ceilometer, signature_secret: {file: missing}}", "cannot read the file"),
        ("{topic: m, format: auto, signature_secret: {file: secret}}", "needs format ceilometer"),
        ("{topic: m, format: ceilometer, unknown_meters: drop}", "'drop' is not one of dead-letter, count, ignore"),
        ("{topic: m, format: ceilometer, priorities: [SAMPLE, 3]}", "priorities[1]: must be a non-empty string"),
    ])
    func mistakesAreNamedAndSecretsNeverEchoed(input: String, problem: String) throws {
        do {
            _ = try Self.load(input)
            Issue.record("accepted \(input)")
        } catch {
            #expect("\(error)".contains(problem), "\(error)")
            #expect("\(error)".contains("kafka.inputs[0]"), "\(error)")
            #expect(!"\(error)".contains("pasted-secret-value"))
        }
    }
}
