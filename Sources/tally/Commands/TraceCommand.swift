import ArgumentParser
import Foundation
import TallyAudit
import TallyRuntime

/// `tally trace`: why a frame costs what it costs (docs/REPORTS.md).
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Show a frame's revisions, the samples that fed it (read back from Kafka), the rule events that priced it and the arithmetic.",
        discussion: "Exits 1 when the samples read back do not match the frame's lineage (count or digest).")

    @Argument(help: "The frame id (32 hex digits, the frame's frame_id).") var frameID: String
    @Option(name: .long, help: "The service configuration file: kafka.bootstrap, the inputs, frames_topic and rules_topic.") var config: String
    @Flag(name: .long, help: "Everything as JSON, for an auditor.") var json = false

    func run() throws {
        let trace: FrameTrace
        do {
            _ = try readUserFile(config, what: "configuration file")
            trace = try FrameTrace.collect(frameID: frameID, config: try ServiceConfig.load(path: config))
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
        print(json ? trace.json() : trace.text())
        if !trace.lineageMatches { throw ExitCode(1) }
    }
}
