import ArgumentParser
import TallyCore
import TallyWire

/// `tally rules show`: the rule book in effect at a time, as known after a version.
struct RulesShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the rules at a time as a ruleset file (valid input to `rules apply`), or as a tree and the canonical JSON its hash covers.")

    @OptionGroup var options: RulesConfigOption
    @Option(name: .long, help: "The instant (ISO 8601; default now).") var at: String?
    @Option(name: .long, help: "As known after this version (a rule-log offset; default: everything).") var version: Int64?

    @Option(name: .long, help: "yaml (default: a ruleset file that `rules apply` reads back) or tree (a readable tree, then the canonical JSON the hash covers).")
    var format: String = "yaml"

    func run() throws {
        guard ["yaml", "tree"].contains(format) else { throw ValidationError("--format must be yaml or tree") }
        let time = try RulesCLI.time(at, option: "--at")
        let state = try options.client().readState()
        if let version, let last = state.lastOffset, version > last {
            throw ValidationError("--version \(version) is after the last event (offset \(last))")
        }
        let book = try state.ruleBook(at: time, asOf: version)
        if format == "yaml" {
            // The rules not ended by T (scheduled ones included): applying this file at T
            // changes nothing. Header lines are YAML comments, so the output is the file.
            print("# rule book at \(Timestamps.iso8601(time)), version \((version ?? state.version).map(String.init) ?? "none"), hash \(book.contentHash)")
            print("# rules not ended by then, scheduled ones included; `tally rules apply` reads this back")
            var rules = version == nil ? state.currentRules(at: time) : book.rules
            rules.modules = book.rules.modules
            print(RulesetYAML.encode(rules), terminator: "")
            return
        }
        print("rule book at \(Timestamps.iso8601(time)), version \((version ?? state.version).map(String.init) ?? "none"), hash \(book.contentHash)")
        let tree = book.rules.canonicalJSON
        if case .object(let sections) = tree {
            for name in CanonicalJSON.sortedKeys(sections) { Self.printTree(name, sections[name]!, indent: "") }
        }
        print("canonical: \(tree.text)")
    }

    /// One line per scalar or flat object, nested lists indented.
    static func printTree(_ label: String, _ node: CanonicalJSON, indent: String) {
        switch node {
        case .array(let items):
            print("\(indent)\(label): \(items.isEmpty ? "(none)" : "")")
            for item in items { printTree("-", item, indent: indent + "  ") }
        case .object(let members):
            let flat = members.values.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
            if flat {
                let pairs = CanonicalJSON.sortedKeys(members).map { "\($0)=\(scalar(members[$0]!))" }
                print("\(indent)\(label) \(pairs.joined(separator: " "))")
            } else {
                print("\(indent)\(label)")
                for key in CanonicalJSON.sortedKeys(members) { printTree(key, members[key]!, indent: indent + "  ") }
            }
        default:
            print("\(indent)\(label) \(scalar(node))")
        }
    }

    static func scalar(_ node: CanonicalJSON) -> String {
        if case .string(let s) = node { return s }
        return node.text
    }
}
