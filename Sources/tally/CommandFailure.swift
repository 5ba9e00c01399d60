/// A failure that is not a usage mistake: ArgumentParser prints it without the
/// usage text, and the command exits non-zero.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

import Foundation

/// Reads a file the user named, with an error that says which and why.
func readUserFile(_ path: String, what: String) throws -> String {
    guard FileManager.default.fileExists(atPath: path) else { throw CommandFailure("\(what) '\(path)' does not exist") }
    do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw CommandFailure("\(what) '\(path)' cannot be read: \(error.localizedDescription)")
    }
}
