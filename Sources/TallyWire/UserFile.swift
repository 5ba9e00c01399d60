import Foundation

/// Reads a file a user named (configuration, metrics, rules, samples) with an error that
/// names the file and says why in plain words, never Foundation's error dump
/// (`Error Domain=NSCocoaErrorDomain Code=260 …`).
public enum UserFile {
    public static func text(_ path: String, what: String = "file") throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw UserFileError(what: what, path: path, reason: "does not exist")
        }
        if isDirectory.boolValue { throw UserFileError(what: what, path: path, reason: "is a directory, not a file") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw UserFileError(what: what, path: path, reason: "cannot be read (permission denied)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UserFileError(what: what, path: path, reason: "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw UserFileError(what: what, path: path, reason: "is not UTF-8 text")
        }
        return text
    }
}

public struct UserFileError: Error, CustomStringConvertible {
    public let what: String
    public let path: String
    public let reason: String
    public var description: String { "\(what) '\(path)' \(reason)" }
}
