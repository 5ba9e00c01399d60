import ArgumentParser
import Foundation
import TallyCore
import TallyRuntime
import TallyWire

struct RateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rate",
        abstract: "Rate sample files offline: fold them into windows as the rater would, price them, print the frames.",
        discussion: "Each line of a file is one record: a native sample, a CloudEvent or a Ceilometer notification. Use - for standard input. Exits 2 when a line is invalid, naming the file and line.")

    @Option(name: .long, help: "The metrics file (docs/METRICS.md).") var metrics: String
    @Option(name: .long, help: "The ruleset file (docs/RATING.md); without it, flat prices per unit.") var rules: String?
    @Option(name: .long, help: "table or json (one frame per line).") var format: OutputFormat = .table
    @Argument(help: "Sample files, or - for standard input.") var samples: [String]

    enum OutputFormat: String, ExpressibleByArgument { case table, json }

    func run() throws {
        guard !samples.isEmpty else { throw ValidationError("give at least one sample file (or - for standard input)") }
        let result: OfflineRating
        do {
            _ = try readUserFile(metrics, what: "metrics file")
            let config = try MetricsConfigLoader.load(contentsOf: metrics)
            let files = try samples.map { path -> (name: String, lines: [String]) in
                let text: String
                if path == "-" {
                    text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                } else {
                    text = try readUserFile(path, what: "sample file")
                }
                return (path == "-" ? "<stdin>" : path, text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
            }
            result = try OfflineRating(metrics: config, pricer: try PricerFactory.make(rulesFile: rules), files: files)
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
        switch format {
        case .json: for frame in result.frames { print(String(decoding: frame, as: UTF8.self)) }
        case .table: print(FrameTable.render(result.frames))
        }
        for problem in result.problems { FileHandle.standardError.write(Data("tally rate: \(problem)\n".utf8)) }
        if !result.problems.isEmpty { throw ExitCode(2) }
    }
}
