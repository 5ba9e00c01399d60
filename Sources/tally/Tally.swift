import ArgumentParser

@main
struct Tally: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "An event-sourced streaming rater for cloud usage.",
        subcommands: [RunCommand.self, RouteCommand.self, DemoCommand.self, RateCommand.self, QuoteCommand.self, RulesCommand.self,
                      ReportCommand.self, TraceCommand.self, ReplayCommand.self, VerifyCommand.self,
                      ServeCommand.self, TokensCommand.self])
}
