import ArgumentParser
import Foundation
import TallyDemo
import TallyRuntime
import TallyService

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Rate a day of simulated usage through an embedded broker and print a bill per project.",
        discussion: "With --serve (the default of `make demo`), the demo ends by serving the API (CloudKitty's and Tally's, noauth) and the dashboard over its broker until SIGTERM/SIGINT, and prints the URLs of the bills, the rule log and the corrected charge.")

    @Option(name: .long, help: "After the demo, serve the API on HOST:PORT (port 0 picks one) until SIGTERM/SIGINT.")
    var serve: String?

    func run() throws {
        let listen = serve
        do {
            try Demo.run(print: { print($0) }, afterwards: listen.map { listen in { config in try Self.serve(config, listen: listen) } })
        } catch let error as ListenAddressError {
            throw CommandFailure("\(error)")
        } catch {
            throw CommandFailure("demo failed: \(String(reflecting: error))")
        }
    }

    /// Serves until a signal stops the server (the demo's broker lives as long as this call).
    static func serve(_ config: ServiceConfig, listen: String) throws {
        final class Outcome: @unchecked Sendable { var error: Error? }
        let outcome = Outcome(), done = DispatchSemaphore(value: 0)
        // The demo's report goes to stdout, buffered when it is a file or a pipe; the server
        // logs to stderr. Flushing first keeps the server's first lines from landing in the
        // middle of the report's last table.
        fflush(stdout)
        Task {
            do {
                try await TallyServer.run(config: config, configPath: "", listen: listen) { url in
                    print("tally demo: the API is running at \(url) (noauth) until Ctrl-C, e.g.")
                    print("  cloudkitty --os-auth-type cloudkitty-noauth --os-endpoint \(url) summary get -g project_id -g type")
                    print("tally serve: listening on \(url)")
                    print("tally demo: open the dashboard in a browser: \(url)/")
                    for line in DashboardLinks.lines(baseURL: url, config: config) { print(line) }
                    fflush(stdout)
                }
            } catch { outcome.error = error }
            done.signal()
        }
        done.wait()
        if let error = outcome.error { throw error }
    }
}
