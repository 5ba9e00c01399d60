import Foundation
import TallyDemo
import Testing
import TallyCore
import TallyRuntime

/// The configuration's `rules:` file only seeds an empty rule log: once the log has
/// rules, an edited file is not used, and start-up must say so (issue 9 item 7).
@Suite(.serialized) struct RuleSeedNoticeEndToEndTests {
    @Test func anEditedSeedFileIsReportedAtStartUpOnceTheLogHasRules() throws {
        let fixture = try EndToEndFixture()
        let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - 4) * 3_600_000_000)
        try fixture.produce(CeilometerEncoder.records(
            UsageSimulator(seed: 51, start: start, hours: 1, projects: 1, instancesPerProject: 1, volumesPerProject: 0).samples(),
            perRecord: 5))
        let seeded = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(seeded.status == 0, "\(seeded.output)")
        #expect(seeded.output.contains("rule log seeded from"))

        let unchanged = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(unchanged.status == 0, "\(unchanged.output)")
        #expect(!unchanged.output.contains("is NOT used"), "\(unchanged.output)")

        let rulesPath = fixture.directory.appendingPathComponent("rules.yaml")
        try EndToEndFixture.rules.replacingOccurrences(of: "cost: 0.025", with: "cost: 0.03")
            .write(to: rulesPath, atomically: true, encoding: .utf8)
        let edited = try TallyProcess.run(["run", "--config", fixture.configPath, "--until-drained"])
        #expect(edited.status == 0, "\(edited.output)")
        #expect(edited.output.contains("warning: the rules file \(rulesPath.path)"), "\(edited.output)")
        #expect(edited.output.contains("is NOT used"), "\(edited.output)")
        #expect(edited.output.contains("m1-small"), "\(edited.output)")
    }
}
