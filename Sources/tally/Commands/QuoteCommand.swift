import ArgumentParser
import TallyAudit
import TallyCore
import TallyRuntime
import TallyWire

struct QuoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quote",
        abstract: "Price a quantity of one metric against the live rule log or a rules file and explain the price (CloudKitty's quote).")

    @Option(name: .long, help: "The ruleset file (docs/RATING.md); without it, the rule log of --config.") var rules: String?
    @Option(name: .long, help: "The service configuration: price with its rule log (kafka.rules_topic) as it stands, and check --metric against its metrics.")
    var config: String?
    @Option(name: .long, help: "The service: a metric's alt_name, else its key.") var metric: String
    @Option(name: .long, parsing: .unconditional, help: "The quantity, a decimal (negative allowed: --qty -2).") var qty: String
    @Option(name: .long, parsing: .singleValue, help: "A description value, key=value (repeatable). Numbers are matched as integers when they have no point.")
    var meta: [String] = []
    @Option(name: .long, help: "Apply this tenant's rules (none by default, as in CloudKitty).") var tenant: String?
    @Option(name: .long, help: "The instant whose rules apply (ISO 8601; default now).") var at: String?
    @Flag(name: .long, help: "Print the result as JSON.") var json = false

    func run() throws {
        guard let quantity = ExactDecimal(qty) else { throw ValidationError("--qty '\(qty)' is not a decimal number") }
        var description = RatingDescription()
        for pair in meta {
            guard let eq = pair.firstIndex(of: "=") else { throw ValidationError("--meta '\(pair)' is not key=value") }
            let key = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
            let kind: MetaKind = Int64(value) != nil ? .int : (ExactDecimal(value) != nil && value.contains(".") ? .float : .string)
            description.set(key, kind: kind, text: value)
        }
        let time: EventTime
        if let at {
            do { time = try TimestampParser.parse(at) } catch { throw ValidationError("--at '\(at)': \(error)") }
        } else {
            time = WallClock.now()
        }
        let book = try ruleBook(at: time)
        let result = Rater(book: book, scriptEvaluator: LuaScriptEvaluatorFactory.make())
            .quote(service: metric, quantity: quantity, description: description, tenant: tenant, at: time)
        if json {
            var members: [String: CanonicalJSON] = ["price": .decimal(result.price), "explanation": result.explanation.json]
            if case .failed(let reason) = result.status { members["error"] = .string(reason) }
            print(CanonicalJSON.object(members).text)
        } else {
            print("price: \(result.price.canonicalText)")
            if case .failed(let reason) = result.status { print("rating failed: \(reason)") }
            for line in ExplanationText.lines(result.explanation) { print(line) }
        }
        if case .failed = result.status { throw ExitCode(3) }
    }

    func validate() throws {
        if rules == nil && config == nil { throw ValidationError("give --rules FILE or --config FILE (the live rule log)") }
    }

    /// The book in effect at `time`: from the rules file, else from the rule log of
    /// `--config`; `--metric` must name a configured service (with `--config`) or one the
    /// book has rules or a declaration for.
    func ruleBook(at time: EventTime) throws -> RuleBook {
        var services: Set<String>?
        var book: RuleBook?
        do {
            if let config {
                let service = try ServiceConfig.load(path: config)
                services = Set(try MetricsConfigLoader.load(contentsOf: service.metricsFile).metrics.map(\.serviceName))
                if rules == nil {
                    let state = try RuleLogClient(config: service).readState()
                    guard state.version != nil else {
                        throw CommandFailure("the rule log \(service.rulesTopic) at \(service.bootstrapServers) holds no accepted rule")
                    }
                    book = try state.ruleBook(at: time)
                }
            }
            if let rules { book = try RulesetFile.load(yaml: try readUserFile(rules, what: "rules file"), file: rules) }
        } catch let f as CommandFailure { throw f } catch { throw CommandFailure("\(error)") }
        guard let book else { throw ValidationError("give --rules FILE or --config FILE") }
        let known = services ?? Set(book.rules.services.map(\.name) + book.rules.tiers.map(\.service))
        guard known.contains(metric) else {
            throw CommandFailure("unknown --metric '\(metric)': \(services == nil ? "the rules name no such service" : "no metric of the configuration has this name")"
                + " (known: \(known.sorted().joined(separator: ", ")))")
        }
        return book
    }
}
