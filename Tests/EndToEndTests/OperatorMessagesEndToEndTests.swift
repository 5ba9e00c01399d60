import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime
import TallyTestSupport

/// What an operator reads when something is wrong (issue 9 item 13): files named in
/// plain words, the broker's address, and what happens to unsent frames at a stop.
@Suite(.serialized) struct OperatorMessagesEndToEndTests {
    @Test func missingFilesAndYAMLSyntaxErrorsNameTheFileInPlainWords() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-msg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples").path
        let broken = directory.appendingPathComponent("broken.yaml").path
        try "kafka:\n  bootstrap: [oops\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let missing = directory.appendingPathComponent("missing.yaml").path
        let config = directory.appendingPathComponent("tally.yaml").path
        try "metrics: \(examples)/metrics.yaml\nrules: \(missing)\nkafka: {bootstrap: 127.0.0.1:1}\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let cases: [(args: [String], expected: String)] = [
            (["run", "--config", missing], "'\(missing)' does not exist"),
            (["run", "--config", broken], "\(broken): line 3, column 1: not valid YAML"),
            (["rate", "--metrics", "\(examples)/metrics.yaml", "--rules", missing, "\(examples)/samples.jsonl"],
             "the rules file does not exist"),
            (["rules", "apply", missing, "--config", config, "--author", "a", "--reason", "b"], "'\(missing)' does not exist"),
            (["verify", "--config", missing, "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-02T00:00:00Z"],
             "the configuration file does not exist"),
        ]
        for (args, expected) in cases {
            let result = try TallyProcess.run(args, timeout: 60)
            #expect(result.status != 0, "\(args): \(result.output)")
            #expect(result.output.contains(expected), "\(args): \(result.output)")
            #expect(!result.output.contains("NSCocoaErrorDomain") && !result.output.contains("Error Domain="), "\(args): \(result.output)")
        }
    }

    @Test func aBrokerThatCannotBeReachedIsNamedByItsAddress() throws {
        let fixture = try EndToEndFixture()
        let closedPort = 1  // nothing listens on tcpmux
        let original = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
        try original.replacingOccurrences(of: fixture.broker.bootstrapServers, with: "127.0.0.1:\(closedPort)")
            .write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let result = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"], timeout: 120)
        #expect(result.status != 0, "\(result.output)")
        #expect(result.output.contains("Kafka broker at 127.0.0.1:\(closedPort)"), "\(result.output)")
    }

    /// Frames wait in the producer (linger.ms 20 s) when the broker stops answering
    /// (SIGSTOP): SIGTERM then exits non-zero within the stop timeout, saying the frames
    /// stay in the outbox; the next run with the broker back sends them, and every window
    /// is exact.
    @Test func sigtermWithTheBrokerDownSaysTheFramesStayInTheOutbox() throws {
        let fixture = try EndToEndFixture(extraConfig: "engine: {stop_timeout_ms: 3000}")
        let text = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
        try text.replacingOccurrences(of: "kafka:\n", with: "kafka:\n  properties: {linger.ms: 20000}\n")
            .write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 6) * 3_600_000_000)
        let samples = UsageSimulator(seed: 41, start: start, hours: 3, projects: 1, instancesPerProject: 2,
                                     volumesPerProject: 1).samples()
        let records = CeilometerEncoder.records(samples, perRecord: 5)
        try fixture.produce(records)

        let log = fixture.directory.appendingPathComponent("run.log")
        let process = try TallyProcess.start(["run", "--config", fixture.configPath, "--progress"], log: log)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        var brokerStopped = false
        defer { if brokerStopped { kill(fixture.broker.brokerPID, SIGCONT) } }
        func output() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        let everything = "tally: \(records.count) records, \(samples.count) samples folded"
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline && !output().contains(everything) { usleep(10_000) }
        #expect(output().contains(everything), "\(output())")
        kill(fixture.broker.brokerPID, SIGSTOP)
        brokerStopped = true
        #expect(process.isRunning)
        process.terminate()
        let stopDeadline = Date().addingTimeInterval(40)
        while process.isRunning && Date() < stopDeadline { usleep(20_000) }
        #expect(!process.isRunning, "tally did not stop within 40 s of SIGTERM with the broker down: \(output())")
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationStatus != 0, "\(output())")
        #expect(output().range(of: #"stopped with [1-9][0-9]* frame\(s\)/dead letter\(s\) not acknowledged by the broker at 127\.0\.0\.1:\d+"#,
                               options: .regularExpression) != nil, "\(output())")
        #expect(output().contains("they stay in the outbox"), "\(output())")

        kill(fixture.broker.brokerPID, SIGCONT)
        brokerStopped = false
        let next = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"], timeout: 120)
        #expect(next.status == 0, "\(next.output)")
        let problems = EndToEndFixture.compare(try fixture.frames(), with: ExpectedWindows(samples))
        #expect(problems.isEmpty, "\(problems.prefix(10))")
    }
}
