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
    @Flag(name: .long, help: "Read the frame's revisions from the frames topic even when the frame index (api.index_path) is there and caught up.")
    var fromTopic = false

    func run() throws {
        let trace: FrameTrace
        do {
            _ = try readUserFile(config, what: "configuration file")
            let settings = try ServiceConfig.load(path: config)
            let source = FrameSource.choose(config: settings, forceTopic: fromTopic)
            defer { source.close() }
            FileHandle.standardError.write(Data((source.describe(command: "trace", config: settings) + "\n").utf8))
            trace = try FrameTrace.collect(frameID: frameID, config: settings, revisions: try source.revisions(of: frameID))
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
        print(json ? trace.json() : trace.text())
        if !trace.lineageMatches { throw ExitCode(1) }
    }
}
