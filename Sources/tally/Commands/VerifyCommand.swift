import ArgumentParser
import Foundation
import TallyAudit
import TallyEngine

/// `tally verify`: every emitted frame of a range reproduces bit for bit.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Replay a range with the rule-book version each frame names and check every frame reproduces (same content hash) and the frames' hash chain.",
        discussion: "Exits 1 naming every frame that does not reproduce, every correction the rater did not emit as its command says, every revision that does not add up, every break of the chain, every input window the rater closed without a frame, and every frames partition shorter than its checkpoint or --expected-head (docs/REPLAY.md).")

    @OptionGroup var range: ReplayRangeOptions
    @Option(name: .long, help: "PARTITION:COUNT:HASH, as `tally run` prints on its frames_head lines: the frames partition must hold at least COUNT frames, the COUNT-th with content hash HASH (repeatable).")
    var expectedHead: [String] = []

    func run() throws {
        let (config, metrics, request) = try range.load(rules: .current)
        let heads: [StreamRater.ChainAnchor]
        do { heads = try expectedHead.map { try StreamRater.ChainAnchor(parsing: $0) } } catch { throw ValidationError("\(error)") }
        let result: FrameVerification
        do { result = try FrameVerification(config: config, metrics: metrics, request: request, expectedHeads: heads) } catch {
            throw CommandFailure("tally verify: \(error)")
        }
        for problem in result.problems { print(problem.line) }
        print(VerifySummary.text(result))
        if !result.passed { throw ExitCode(1) }
    }
}

/// The last line of `tally verify`: a pass says how much reproduced; a failure leads
/// with FAILED and the count of each kind of finding, never "N of N reproduced".
enum VerifySummary {
    static func text(_ result: FrameVerification) -> String {
        let versions = result.versions.map { $0.map(String.init) ?? "current" }.joined(separator: ", ")
        let tail = "\(result.correctionsChecked) correction(s) checked; \(result.notYetEmitted.count) window(s) not yet emitted"
        if result.passed {
            return "tally verify: \(result.reproduced) of \(result.checked) frame(s) reproduced with rule-book version(s) [\(versions)]; "
                + "0 problem(s); " + tail
        }
        var kinds: [String: Int] = [:]
        for p in result.problems { kinds[p.kind.rawValue, default: 0] += 1 }
        let counted = kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "tally verify: FAILED: \(result.problems.count) problem(s) (\(counted)); only \(result.reproduced) of \(result.checked) "
            + "frame(s) of the range are without a problem; " + tail
    }
}
