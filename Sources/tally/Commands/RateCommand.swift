import ArgumentParser
import Foundation
import TallyAudit
import TallyCore
import TallyEngine
import TallyRater
import TallyRuntime
import TallyWire

struct RateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rate",
        abstract: "Rate sample files offline: fold them into windows as the rater would, price them, print the frames.",
        discussion: "Each line of a file is one record: a native sample, a CloudEvent or a Ceilometer notification. Use - for standard input. A line the rater would dead-letter (invalid JSON or UTF-8, a repeated key, a bad signature, an unexpected priority, …) is reported with its file, line and reason, the other lines are still rated, and the exit status is 2.")

    @Option(name: .long, help: "The metrics file (docs/METRICS.md).") var metrics: String
    @Option(name: .long, help: "The ruleset file (docs/RATING.md); without it, flat prices per unit.") var rules: String?
    @Option(name: .long, help: "table or json (one frame per line).") var format: OutputFormat = .table
    @Option(name: .long, help: "Check Ceilometer signatures with the telemetry secret in this file (as kafka.inputs[].signature_secret {file}); native and CloudEvents lines carry none and are not checked.")
    var signatureSecretFile: String?
    @Option(name: .long, help: "Check Ceilometer signatures with the telemetry secret in this environment variable.")
    var signatureSecretEnv: String?
    @Option(name: .long, help: "A notification priority to accept (repeatable; default SAMPLE, as kafka.inputs[].priorities).")
    var priority: [String] = []
    @Option(name: .long, help: "Samples of meters not in the metrics file: dead-letter (reported, exit 2), count or ignore.")
    var unknownMeters: String = UnknownMeterPolicy.deadLetter.rawValue
    @Argument(help: "Sample files, or - for standard input.") var samples: [String]

    enum OutputFormat: String, ExpressibleByArgument { case table, json }

    /// `bytes` and a newline on standard output, through its buffer (what `print` wrote,
    /// without making a `String` of each frame first).
    static func writeLine(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
        _ = fputc(0x0A, stdout)
    }

    func run() throws {
        guard !samples.isEmpty else { throw ValidationError("give at least one sample file (or - for standard input)") }
        guard let unknownPolicy = UnknownMeterPolicy(rawValue: unknownMeters) else {
            throw ValidationError("--unknown-meters must be dead-letter, count or ignore")
        }
        guard signatureSecretFile == nil || signatureSecretEnv == nil else {
            throw ValidationError("give --signature-secret-file or --signature-secret-env, not both")
        }
        let result: OfflineRating
        var table = FrameTable()
        do {
            _ = try readUserFile(metrics, what: "metrics file")
            let config = try MetricsConfigLoader.load(contentsOf: metrics)
            // Bytes, not text: a line that is not UTF-8 is refused with its line number
            // (as the rater dead-letters the record), never the whole file.
            let files = try samples.map { path -> (name: String, lines: [[UInt8]]) in
                let data: [UInt8]
                if path == "-" {
                    data = Array(FileHandle.standardInput.readDataToEndOfFile())
                } else {
                    guard FileManager.default.fileExists(atPath: path), let contents = FileManager.default.contents(atPath: path) else {
                        throw CommandFailure("sample file '\(path)' does not exist or cannot be read")
                    }
                    data = Array(contents)
                }
                return (path == "-" ? "<stdin>" : path, OfflineRating.lines(of: data))
            }
            var input = ServiceConfig.Input(topic: "rate", format: .auto)
            input.signatureSecret = signatureSecretFile.map { .file($0) } ?? signatureSecretEnv.map { .environment($0) }
            if !priority.isEmpty { input.priorities = priority }
            let decoding = try input.engineInput().decoding
            // JSON frames are written as they are sealed, one a line, and none is kept; the
            // table keeps each frame's row (it is aligned, and its total counts each window's
            // latest revision), taken from the frame's fields, not parsed back from its bytes.
            switch format {
            case .json:
                result = try OfflineRating(metrics: config, pricer: try PricerFactory.make(rulesFile: rules), files: files,
                                           decoding: decoding, unknownMeters: unknownPolicy, frameSink: Self.writeLine)
            case .table:
                result = try OfflineRating(metrics: config, pricer: try PricerFactory.make(rulesFile: rules), files: files,
                                           decoding: decoding, unknownMeters: unknownPolicy,
                                           frameValueSink: { table.add($0) })
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
        if format == .table { print(table.render()) }
        fflush(stdout)  // the frames first, then the problems, even when both go to one file
        for problem in result.problems { FileHandle.standardError.write(Data("tally rate: \(problem)\n".utf8)) }
        if result.counters.samplesUnknownMeter > 0 {
            let perMeter = result.counters.unknownMeters.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            FileHandle.standardError.write(Data(("tally rate: \(result.counters.samplesUnknownMeter) samples of meters not in the "
                + "metrics file were \(unknownPolicy == .count ? "counted" : "ignored")"
                + (perMeter.isEmpty ? "" : " (\(perMeter.joined(separator: ", ")))") + "\n").utf8))
        }
        if !result.problems.isEmpty { throw ExitCode(2) }
    }
}
