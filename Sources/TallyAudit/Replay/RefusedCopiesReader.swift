import Foundation
import TallyCore
import TallyEngine
import TallyRuntime
import TallyWire

/// Reads the conflicting-duplicate decisions back from the dead-letter topic, for a
/// replay to take (`StreamRater.honour(refusedCopies:)`): each refused sample's record
/// coordinates (the letter's `source`) and its id (named in the rejection's detail).
enum RefusedCopiesReader {
    static let reason = DeadLetterReason.conflictingDuplicate.rawValue

    static func read(config: ServiceConfig) throws -> [RefusedCopy] {
        let needle = Array(reason.utf8)
        var out: [RefusedCopy] = []
        // Streamed: the dead-letter topic holds every rejected sample; only these letters are copied.
        try PartitionReader.forEachRecord(of: config.deadLetterTopic, bootstrapServers: config.bootstrapServers) { _, _, value in
            guard value.firstRange(of: needle) != nil else { return }
            out += refusedCopies(inLetter: Array(value))
        }
        return out
    }

    static func refusedCopies(inLetter bytes: [UInt8]) -> [RefusedCopy] {
        guard let letter = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let source = letter["source"] as? [String: Any], let topic = source["topic"] as? String,
              let partition = source["partition"] as? Int, let offset = source["offset"] as? Int else { return [] }
        let rejections = letter["rejections"] as? [[String: Any]] ?? []
        return rejections.compactMap { r -> RefusedCopy? in
            guard r["reason"] as? String == reason, let detail = r["detail"] as? String,
                  let marker = detail.range(of: "sample id ", options: .backwards),
                  let key = SampleDigest.key(uuidText: detail[marker.upperBound...].prefix(36)) else { return nil }
            return RefusedCopy(topic: topic, partition: Int32(partition), offset: Int64(offset), sample: key)
        }
    }
}
