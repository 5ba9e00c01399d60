import ArgumentParser
import Foundation
import TallyRoute
import TallyRuntime

struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Re-key the raw input topics by resource onto the route topic, exactly once, until SIGTERM or SIGINT.")

    @Option(name: .long, help: "The service configuration file (docs/CONFIG.md; the `route:` section, docs/SCALE.md).")
    var config: String

    @Option(name: .long, help: "This router's stable name in its group (overrides route.instance); a restart under the same name fences the old process.")
    var instance: String?

    func run() throws {
        let router: SampleRouter
        do {
            _ = try readUserFile(config, what: "configuration file")
            var settings = try ServiceConfig.load(path: config)
            if let instance {
                guard !instance.isEmpty else { throw CommandFailure("--instance must not be empty") }
                settings.route.instance = instance
            }
            TallyLogging.bootstrap(format: settings.logFormat, level: settings.logLevel)
            router = try SampleRouter(config: settings) { RunLog.logger.notice("\($0)") }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
        StopSignal.install()
        RunLog.logger.info("tally route: started", metadata: [
            "inputs": .string(router.config.routeInputs.map(\.topic).joined(separator: ",")),
            "topic": .string(router.config.route.topic), "group": .string(router.config.route.group),
            "instance": .string(router.config.route.instance)])
        let counters: RouteCounters
        do {
            counters = try router.run { StopSignal.isRequested }
        } catch {
            // Exit at once: what was not committed is aborted by the broker (or by the next
            // instance under this name), and is read again from the committed offsets.
            RunLog.logger.error("Error: \(error)")
            Foundation.exit(1)
        }
        print("tally: route stopped cleanly")
        for (name, value) in counters.rows { print("\(name) \(value)") }
    }
}
