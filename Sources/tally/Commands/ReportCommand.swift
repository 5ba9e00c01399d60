import ArgumentParser
import Foundation
import TallyCore
import TallyRuntime
import TallyWire

/// `tally report`: what was billed over a period, from the frames topic (docs/REPORTS.md).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Totals of rated usage over a period, per scope, from the latest revision of every frame.",
        discussion: "A frame counts when its window starts in [--from, --to). Quantities are summed only within one metric; prices are never summed across currencies.")

    @Option(name: .long, help: "The service configuration file: kafka.bootstrap and kafka.frames_topic.") var config: String
    @Option(name: .long, help: "The first window start included (ISO 8601, e.g. 2026-07-01T00:00:00Z).") var from: String
    @Option(name: .long, help: "The first window start excluded (ISO 8601).") var to: String
    @Option(name: .long, help: "Only this scope (project) id.") var scope: String?
    @Option(name: .long, help: "Split each scope by metric, resource, user or day (UTC).") var groupBy: UsageReport.Grouping = .scope
    @Option(name: .long, help: "table, csv or json.") var format: Format = .table

    enum Format: String, ExpressibleByArgument { case table, csv, json }

    func run() throws {
        let fromTime = try Self.time(from, option: "--from"), toTime = try Self.time(to, option: "--to")
        guard fromTime < toTime else { throw ValidationError("--from \(from) must be before --to \(to)") }
        var ledger = FrameLedger()
        do {
            _ = try readUserFile(config, what: "configuration file")
            let settings = try ServiceConfig.load(path: config)
            for record in try TopicIO.readAll(topic: settings.framesTopic, bootstrapServers: settings.bootstrapServers) {
                ledger.add(record.value)
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
        let report = UsageReport(ledger: ledger, from: fromTime, to: toTime, scope: scope, grouping: groupBy)
        switch format {
        case .table: print(report.table())
        case .csv: print(report.csv(), terminator: "")
        case .json: print(report.json())
        }
        if ledger.malformed > 0 || !ledger.conflicts.isEmpty {
            FileHandle.standardError.write(Data("tally report: \(ledger.malformed) malformed frame(s) skipped; \(ledger.conflicts.count) resent frame(s) differ from the first copy: \(ledger.conflicts.prefix(5))\n".utf8))
        }
    }

    static func time(_ text: String, option: String) throws -> EventTime {
        do { return try TimestampParser.parse(text) } catch {
            throw ValidationError("\(option) '\(text)' is not an ISO 8601 time (e.g. 2026-07-01T00:00:00Z): \(error)")
        }
    }
}

extension UsageReport.Grouping: ExpressibleByArgument {}
