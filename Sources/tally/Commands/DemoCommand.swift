import ArgumentParser
import TallyRuntime

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Rate a day of simulated usage through an embedded broker and print a bill per project.")

    func run() throws {
        do { try Demo.run { print($0) } } catch { throw CommandFailure("demo failed: \(String(reflecting: error))") }
    }
}
