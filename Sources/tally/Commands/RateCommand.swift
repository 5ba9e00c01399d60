import ArgumentParser

struct RateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rate", abstract: "Not yet wired.")
    func run() throws { throw ValidationError("not yet wired") }
}
