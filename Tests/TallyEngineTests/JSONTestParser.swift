import Foundation

/// Tests read frames back with Foundation's parser: an independent reader of
/// what the engine's canonical encoder wrote.
enum JSONTestParser {
    static func parse(_ bytes: [UInt8]) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(bytes))
    }
}
