import ArgumentParser
import Foundation
import TallyAudit
import TallyCore
import TallyRuntime
import TallyWire

/// `tally report`: what was billed over a period, from the frame index when it is caught up,
/// else the frames topic (docs/REPORTS.md).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Totals of rated usage over a period, per scope, from the latest revision of every frame.",
        discussion: "A frame counts when its window starts in [--from, --to). Quantities are summed only within one metric; prices are never summed across currencies.")

    @Option(name: .long, help: "The service configuration file: kafka.bootstrap and kafka.frames_topic.") var config: String
    @Option(name: .long, help: "The first window start included: an ISO 8601 instant, a date (2026-11-01) or a month (2026-11), dates and months in the configured time zone.")
    var from: String
    @Option(name: .long, help: "The first window start excluded (same forms: --from 2026-11 --to 2026-12 is November).") var to: String
    @Option(name: .long, help: "Decimal places shown in the table (default: the currency's minor unit, e.g. 2 for EUR, 0 for JPY). JSON and CSV keep exact figures.")
    var decimals: Int?
    @Option(name: .long, help: "Only this scope (project) id.") var scope: String?
    @Option(name: .long, help: "Split each scope by metric, resource, user or day (UTC).") var groupBy: UsageReport.Grouping = .scope
    @Option(name: .long, help: "table, csv or json.") var format: Format = .table
    @Flag(name: .long, help: "Read the frames topic even when the frame index (api.index_path) is there and caught up.")
    var fromTopic = false

    enum Format: String, ExpressibleByArgument { case table, csv, json }

    func run() throws {
        if let decimals, !(0...18).contains(decimals) { throw ValidationError("--decimals must be between 0 and 18") }
        let ledger: FrameLedger, note: String?
        let fromTime: EventTime, toTime: EventTime
        do {
            _ = try readUserFile(config, what: "configuration file")
            let settings = try ServiceConfig.load(path: config)
            let zone = try MetricsConfigLoader.load(contentsOf: settings.metricsFile).timeZone
            fromTime = try Self.time(from, option: "--from", zone: zone)
            toTime = try Self.time(to, option: "--to", zone: zone)
            guard fromTime < toTime else { throw ValidationError("--from \(from) must be before --to \(to)") }
            let source = FrameSource.choose(config: settings, forceTopic: fromTopic)
            defer { source.close() }
            FileHandle.standardError.write(Data((source.describe(command: "report", config: settings) + "\n").utf8))
            (ledger, note) = try source.ledger(config: settings)
        } catch let failure as CommandFailure {
            throw failure
        } catch let invalid as ValidationError {
            throw invalid
        } catch {
            throw CommandFailure("\(error)")
        }
        if let scope, !UsageReport.scopes(in: ledger).contains(scope) {
            throw CommandFailure("unknown scope '\(scope)': no frame on the frames topic has it")
        }
        var report = UsageReport(ledger: ledger, from: fromTime, to: toTime, scope: scope, grouping: groupBy)
        report.displayDecimals = decimals
        switch format {
        case .table: print(report.table())
        case .csv: print(report.csv(), terminator: "")
        case .json: print(report.json())
        }
        if let note { FileHandle.standardError.write(Data("tally report: \(note)\n".utf8)) }
    }

    static func time(_ text: String, option: String, zone: ZoneRules) throws -> EventTime {
        do { return try ReportPeriod.bound(text, zone: zone) } catch {
            throw ValidationError("\(option) '\(text)' is not an ISO 8601 time, a date (2026-11-01) or a month (2026-11): \(error)")
        }
    }
}

extension UsageReport.Grouping: ExpressibleByArgument {}
