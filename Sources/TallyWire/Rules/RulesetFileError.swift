import TallyCore

/// Everything wrong with a ruleset file, each problem with its place in the file.
public struct RulesetFileError: Error, Sendable, CustomStringConvertible {
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// `file:line:column` when the YAML parser gave a position, else just the file.
        public var location: String
        /// Where in the document: e.g. `services.compute.fields.flavor.mappings[0].cost`,
        /// or the rule id for problems found by validation.
        public var path: String
        public var message: String
        public var description: String { "\(location): \(path): \(message)" }
    }

    public var problems: [Problem]

    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
