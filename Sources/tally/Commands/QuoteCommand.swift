import ArgumentParser

struct QuoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quote", abstract: "Not yet wired.")
    func run() throws { throw ValidationError("not yet wired") }
}
