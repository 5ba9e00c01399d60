import ArgumentParser
import Foundation
import TallyCore
import TallyWire

/// `tally rules import EXPORT.json`: CloudKitty's hashmap configuration as a ruleset
/// file (printed), to review and then `tally rules apply`.
struct RulesImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a CloudKitty hashmap export (the v1 API's services, fields, groups, mappings and thresholds in one JSON object) into a ruleset file on standard output.")

    @Argument(help: "The export: {\"services\": […], \"fields\": […], \"groups\": […], \"mappings\": […], \"thresholds\": […]}.")
    var export: String

    func run() throws {
        let bytes = Array(try readUserFile(export, what: "CloudKitty export").utf8)
        let rules: RuleSet
        do {
            rules = try CloudKittyHashmapImport.ruleSet(fromJSON: bytes, file: export)
            _ = try RuleBook(validating: rules)
        } catch let invalid as RuleSetValidationError {
            throw CommandFailure("the export does not form a valid rule set: \(invalid)")
        } catch { throw CommandFailure("\(error)") }
        print("# imported from CloudKitty's hashmap export \(export); rule ids are CloudKitty's mapping/threshold ids")
        print(RulesetYAML.encode(rules), terminator: "")
    }
}
