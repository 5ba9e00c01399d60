/// A failure that is not a usage mistake: ArgumentParser prints it without the
/// usage text, and the command exits non-zero.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

import Foundation
import TallyWire

/// Reads a file the user named, with an error that says which and why.
func readUserFile(_ path: String, what: String) throws -> String {
    do { return try UserFile.text(path, what: what) } catch let error as UserFileError {
        throw CommandFailure(error.description)
    }
}
