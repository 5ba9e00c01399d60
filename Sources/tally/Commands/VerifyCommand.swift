import ArgumentParser
import Foundation
import TallyRuntime

/// `tally verify`: every emitted frame of a range reproduces bit for bit.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Replay a range with the rule-book version each frame names and check every frame reproduces (same content hash) and the frames' hash chain.",
        discussion: "Exits 1 naming every frame that does not reproduce or breaks the chain (docs/REPLAY.md).")

    @OptionGroup var range: ReplayRangeOptions

    func run() throws {
        let (config, metrics, request) = try range.load(rules: .current)
        let result: FrameVerification
        do { result = try FrameVerification(config: config, metrics: metrics, request: request) } catch {
            throw CommandFailure("tally verify: \(error)")
        }
        for problem in result.problems { print("NOT REPRODUCED: \(problem)") }
        let versions = result.versions.map { $0.map(String.init) ?? "current" }.joined(separator: ", ")
        print("tally verify: \(result.reproduced) of \(result.checked) frame(s) reproduced with rule-book version(s) [\(versions)]; "
              + "\(result.problems.count) problem(s); \(result.notYetEmitted.count) window(s) not yet emitted")
        if !result.passed { throw ExitCode(1) }
    }
}
