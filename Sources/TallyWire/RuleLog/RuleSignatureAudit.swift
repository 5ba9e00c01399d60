import TallyCore

/// Checking who really wrote each rule event (docs/RULE-LOG.md, "Signatures"). An event's
/// `author` is whatever its writer typed; an event signed by a key the auditor trusts was
/// written by the holder of that key (the service signs what callers it authenticated
/// write). The check itself is behind `SignatureCheck` so this stays free of C.
public protocol SignatureCheck {
    /// Whether `signature` is `publicKey`'s Ed25519 signature of `message`.
    func isValid(signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> Bool
    /// The key id events name (`RuleEventSignature.key`).
    func keyID(of publicKey: [UInt8]) -> String
}

/// The public keys an auditor trusts: lines `NAME BASE64-PUBLIC-KEY`; `#` starts a comment.
public struct PublicKeyRing: Sendable {
    public struct Entry: Sendable { public var name: String; public var key: [UInt8] }
    public private(set) var byID: [String: Entry] = [:]

    public init(text: String, file: String, keyID: (([UInt8]) -> String)) throws(RuleEventDecodingError) {
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if words.isEmpty { continue }
            guard words.count == 2, let key = Base64.decode(words[1]), key.count == 32 else {
                throw RuleEventDecodingError(field: "\(file):\(index + 1)",
                                             message: "expected `NAME BASE64-PUBLIC-KEY` (a 32-byte Ed25519 public key)")
            }
            byID[keyID(key)] = Entry(name: words[0], key: key)
        }
    }
}

/// What the audit found for one event.
public enum SignatureStatus: Sendable, Hashable, CustomStringConvertible {
    /// Signed by a trusted key, named.
    case signed(by: String)
    /// No signature: the author is only what the writer declared.
    case unsigned
    /// Signed by a key the auditor does not trust.
    case unknownKey(String)
    /// The signature does not match the event under the key it names: forged or altered.
    case badSignature(key: String)

    public var isTrusted: Bool { if case .signed = self { return true } else { return false } }

    public var description: String {
        switch self {
        case .signed(let name): return "signed by \(name)"
        case .unsigned: return "unsigned: the author is self-declared"
        case .unknownKey(let id): return "signed by key \(id), which is not in the public keys"
        case .badSignature(let key): return "the signature does not verify under key \(key): forged or altered"
        }
    }
}

public enum RuleSignatureAudit {
    public struct Finding: Sendable {
        public var offset: Int64
        public var eventID: String
        public var author: String
        public var status: SignatureStatus
    }

    /// Every decodable event's signature status, in offset order (undecodable records are
    /// `rules verify`'s business and are skipped here).
    public static func audit(_ events: [(offset: Int64, bytes: [UInt8])], ring: PublicKeyRing,
                             check: SignatureCheck) -> [Finding] {
        events.compactMap { record in
            guard let event = try? RuleEventCodec.decode(record.bytes) else { return nil }
            return Finding(offset: record.offset, eventID: event.id, author: event.author,
                           status: status(of: event, ring: ring, check: check))
        }
    }

    public static func status(of event: RuleEvent, ring: PublicKeyRing, check: SignatureCheck) -> SignatureStatus {
        guard let signature = event.signature else { return .unsigned }
        guard let entry = ring.byID[signature.key] else { return .unknownKey(signature.key) }
        // The signature covers the hash, and the hash must cover the content: a valid
        // signature on a stale hash would otherwise vouch for altered content.
        guard event.hashIsValid, let bytes = Base64.decode(signature.value),
              check.isValid(signature: bytes, of: Array(event.hash.utf8), publicKey: entry.key) else {
            return .badSignature(key: signature.key)
        }
        return .signed(by: entry.name)
    }
}
