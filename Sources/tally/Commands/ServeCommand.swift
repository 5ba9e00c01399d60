import ArgumentParser
import Foundation
import TallyRuntime
import TallyService

/// `tally serve`: the HTTP service (CloudKitty-compatible API, Tally's own API, metrics).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the CloudKitty-compatible API and Tally's own API over HTTP until SIGTERM/SIGINT.")

    @Option(name: .long, help: "The service configuration file (api.listen, api.auth, kafka, metrics).") var config: String
    @Option(name: .long, help: "HOST:PORT to listen on, overriding api.listen (port 0 picks a free port).") var listen: String?

    func run() async throws {
        let settings: ServiceConfig
        do { settings = try ServiceConfig.load(path: config) } catch { throw CommandFailure("\(error)") }
        TallyLogging.bootstrap(format: settings.logFormat, level: settings.logLevel)
        do {
            try await TallyServer.run(config: settings, configPath: config, listen: listen) { url in
                // One line on stdout that scripts and tests read to find the service.
                print("tally serve: listening on \(url)")
                fflush(stdout)
            }
        } catch let error as ListenAddressError {
            throw CommandFailure("\(error)")
        }
    }
}
