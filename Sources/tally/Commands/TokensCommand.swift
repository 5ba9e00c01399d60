import ArgumentParser
import Foundation
import TallyCore
import TallyRuntime
import TallyService

/// `tally tokens`: the bearer tokens `tally serve` accepts with `api.auth: token`
/// (stored hashed in `api.tokens_file`; docs/API.md).
struct TokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Issue, list and revoke the API's bearer tokens (stored as SHA-256 hashes).",
        subcommands: [TokensCreateCommand.self, TokensListCommand.self, TokensRevokeCommand.self, TokensSigningKeyCommand.self])
}

struct TokensConfigOption: ParsableArguments {
    @Option(name: .long, help: "The service configuration file (api.tokens_file, else the state directory).") var config: String

    func store() throws -> TokenStore {
        do { return TokenStore(path: try ServiceConfig.load(path: config).tokensFile) } catch { throw ValidationError("\(error)") }
    }
}

struct TokensCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Issue a token and print it once (only its hash is kept).")
    @OptionGroup var options: TokensConfigOption
    @Option(name: .long, help: "admin (manages rules, sees every project) or reader (sees only its --project data).")
    var role: String
    @Option(name: .long, help: "A project (scope) a reader may see (repeatable).") var project: [String] = []
    @Option(name: .long, help: "The name recorded as author of the rule events this token writes (default token-ID).")
    var name: String?

    func run() throws {
        guard let role = Principal.Role(rawValue: role) else { throw ValidationError("--role must be admin or reader, not '\(role)'") }
        if let name, name.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--name must not be empty") }
        do {
            let (token, stored) = try options.store().create(name: name, role: role, projects: project,
                                                             now: Timestamps.iso8601(WallClock.now()))
            print(token)
            let note = "id \(stored.id), name \(stored.name), role \(stored.role.rawValue)"
                + (stored.projects.isEmpty ? "" : ", projects \(stored.projects.joined(separator: ","))")
                + ": shown once, keep it secret\n"
            FileHandle.standardError.write(Data(note.utf8))
        } catch let error as TokenStoreError { throw CommandFailure(error.description) }
    }
}

struct TokensListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the tokens (never their text).")
    @OptionGroup var options: TokensConfigOption

    func run() throws {
        do {
            for token in try options.store().load() {
                let projects = token.projects.isEmpty ? "-" : token.projects.joined(separator: ",")
                print("\(token.id)  \(token.role.rawValue)  \(token.name)  projects=\(projects)  created \(token.createdAt)"
                      + (token.revokedAt.map { "  REVOKED \($0)" } ?? ""))
            }
        } catch let error as TokenStoreError { throw CommandFailure(error.description) }
    }
}

struct TokensRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id (a running service stops accepting it).")
    @OptionGroup var options: TokensConfigOption
    @Argument(help: "The token's id, as `tally tokens list` prints it.") var id: String

    func run() throws {
        do {
            let token = try options.store().revoke(id: id, now: Timestamps.iso8601(WallClock.now()))
            print("revoked \(token.id) (\(token.name))")
        } catch let error as TokenStoreError { throw CommandFailure(error.description) }
    }
}

struct TokensSigningKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signing-key",
        abstract: "Print the public key line of the service's rule-event signing key (api.signing_key; made if missing) for `rules verify --public-keys`.")
    @Option(name: .long, help: "The service configuration file.") var config: String

    func run() throws {
        do {
            let key = try ServiceSigningKey.loadOrCreate(path: try ServiceConfig.load(path: config).signingKeyFile)
            print(ServiceSigningKey.publicKeyLine(key))
        } catch { throw CommandFailure("\(error)") }
    }
}
