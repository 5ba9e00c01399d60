import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime

/// One rater per state directory: a second `tally run` on the same state refuses with
/// the directory and the holder's pid; the lock dies with its holder (even by SIGKILL).
@Suite(.serialized) struct SingleInstanceEndToEndTests {
    @Test func aSecondRaterOnTheSameStateDirectoryRefusesNamingTheDirectoryAndTheHolder() throws {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 6) * 3_600_000_000)
        let samples = UsageSimulator(seed: 31, start: start, hours: 3, projects: 1, instancesPerProject: 2,
                                     volumesPerProject: 1).samples()
        try fixture.produce(CeilometerEncoder.records(samples, perRecord: 5))

        let log = fixture.directory.appendingPathComponent("first.log")
        let first = try TallyProcess.start(["run", "--config", fixture.configPath, "--progress"], log: log)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() } }
        func output() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(60)
        while first.isRunning && Date() < deadline && !output().contains("tally: ") { usleep(20_000) }
        #expect(first.isRunning, "\(output())")

        let second = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"], timeout: 60)
        #expect(second.status != 0, "\(second.output)")
        let stateDirectory = fixture.directory.appendingPathComponent("state").path
        #expect(second.output.contains("state directory \(stateDirectory)"), "\(second.output)")
        #expect(second.output.contains("(pid \(first.processIdentifier))"), "\(second.output)")
        #expect(first.isRunning, "the first rater must be untouched: \(output())")

        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let third = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"], timeout: 120)
        #expect(third.status == 0, "a killed holder must not leave a stale lock: \(third.output)")
        let problems = EndToEndFixture.compare(try fixture.frames(), with: ExpectedWindows(samples))
        #expect(problems.isEmpty, "\(problems.prefix(10))")
    }
}
