import Foundation
import TallyCore
import TallyCrypto
import TallyWire

/// The service's Ed25519 key (`api.signing_key`): a base64 32-byte seed on one line, mode
/// 0600, made at first start. Every rule event the API writes is signed with it, so
/// `tally rules verify --public-keys` can tell the service's events (whose author the
/// service authenticated) from events anyone with broker access wrote under any name.
public enum ServiceSigningKey {
    public static func loadOrCreate(path: String) throws -> Ed25519PrivateKey {
        if FileManager.default.fileExists(atPath: path) {
            let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let seed = Base64.decode(text), seed.count == 32 else {
                throw Ed25519Error("\(path): not a base64 Ed25519 private key (32 bytes)")
            }
            return try Ed25519PrivateKey(seed: seed)
        }
        let seed = Ed25519PrivateKey.generateSeed()
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        guard FileManager.default.createFile(atPath: path, contents: Data((Base64.encode(seed) + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw Ed25519Error("cannot write the signing key \(path)")
        }
        return try Ed25519PrivateKey(seed: seed)
    }

    /// The public-keys file line for this key: `NAME BASE64-PUBLIC-KEY`.
    public static func publicKeyLine(_ key: Ed25519PrivateKey, name: String = "tally-serve") -> String {
        "\(name) \(Base64.encode(key.publicKey))"
    }
}

/// Signs every event of a publication with the service's key (the hash, hence the chain
/// head, is unchanged; the records are re-encoded with the signature).
struct Ed25519RuleSigner: RuleEventSigner {
    let key: Ed25519PrivateKey

    func sign(_ publication: RuleLogPublication) throws -> RuleLogPublication {
        var signed = publication
        signed.events = try publication.events.map { try key.signed($0) }
        signed.records = signed.events.map(RuleEventCodec.encode)
        return signed
    }
}
