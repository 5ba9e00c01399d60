import ArgumentParser
import TallyCore
import TallyRuntime

/// `tally rules verify`: the stored log is an intact hash chain.
struct RulesVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Walk the hash chain; exit 1 at the first gap, undecodable or altered event, or broken link.")

    @OptionGroup var options: RulesConfigOption
    @Option(name: .long, help: "A head recorded elsewhere (a frame, a receipt): also catches events removed from the end.")
    var expectedHead: String?

    func run() throws {
        let report = try options.client().verify(expectedHead: expectedHead)
        if let problem = report.firstProblem {
            print("tally rules verify: BROKEN at \(problem)")
            throw ExitCode(1)
        }
        print("tally rules verify: intact: \(report.eventCount) event(s), \(report.chainedCount) chained, "
              + "\(report.staleCount) from racing writers, head \(report.head.isEmpty ? "(empty)" : report.head)")
    }
}
