import ArgumentParser

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Not yet wired.")
    func run() throws { throw ValidationError("not yet wired") }
}
