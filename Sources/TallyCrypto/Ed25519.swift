import CCrypto
import TallyCore
import TallyWire

/// Ed25519 from Debian's libcrypto (OpenSSL 3's EVP one-shot signing): the service's key
/// that signs the rule events it writes, and the check `tally rules verify --public-keys`
/// runs. Keys are raw 32-byte seeds and public keys (RFC 8032). The seed never leaves this
/// object and is not printable.
public final class Ed25519PrivateKey: CustomStringConvertible, @unchecked Sendable {
    private let key: OpaquePointer
    /// The raw 32-byte public key.
    public let publicKey: [UInt8]

    public init(seed: [UInt8]) throws {
        guard seed.count == 32 else { throw Ed25519Error("an Ed25519 private key is 32 bytes, not \(seed.count)") }
        guard let key = seed.withUnsafeBufferPointer({ EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32) }) else {
            throw Ed25519Error("libcrypto refused the Ed25519 key")
        }
        var length = 32
        var raw = [UInt8](repeating: 0, count: 32)
        guard EVP_PKEY_get_raw_public_key(key, &raw, &length) == 1, length == 32 else {
            EVP_PKEY_free(key)
            throw Ed25519Error("cannot derive the Ed25519 public key")
        }
        self.key = key
        self.publicKey = raw
    }

    /// A new key from the system's CSPRNG.
    public static func generateSeed() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    deinit { EVP_PKEY_free(key) }

    /// The 64-byte signature of `message`.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw Ed25519Error("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1 else { throw Ed25519Error("EVP_DigestSignInit failed") }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        let ok = message.withUnsafeBufferPointer { m in EVP_DigestSign(context, &signature, &length, m.baseAddress, m.count) }
        guard ok == 1, length == 64 else { throw Ed25519Error("EVP_DigestSign failed") }
        return signature
    }

    public var description: String { "Ed25519PrivateKey(public \(Base64.encode(publicKey)))" }
}

public enum Ed25519 {
    /// Whether `signature` is `publicKey`'s signature of `message`.
    public static func verify(publicKey: [UInt8], message: [UInt8], signature: [UInt8]) -> Bool {
        guard publicKey.count == 32, signature.count == 64,
              let key = publicKey.withUnsafeBufferPointer({ EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32) })
        else { return false }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else { return false }
        return message.withUnsafeBufferPointer { m in
            signature.withUnsafeBufferPointer { s in EVP_DigestVerify(context, s.baseAddress, 64, m.baseAddress, m.count) }
        } == 1
    }

    /// The id an event's signature names its key by: the first 16 hex digits of the public
    /// key's SHA-256.
    public static func keyID(publicKey: [UInt8]) -> String {
        var sha = SHA256()
        sha.update(publicKey)
        return String(Hex.encode(sha.finalize()).prefix(16))
    }
}

public struct Ed25519Error: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// `SignatureCheck` over libcrypto, and the signing of rule events with the service's key.
public struct Ed25519SignatureCheck: SignatureCheck {
    public init() {}
    public func isValid(signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> Bool {
        Ed25519.verify(publicKey: publicKey, message: message, signature: signature)
    }
    public func keyID(of publicKey: [UInt8]) -> String { Ed25519.keyID(publicKey: publicKey) }
}

extension Ed25519PrivateKey {
    /// `event` with this key's signature of its (sealed) hash.
    public func signed(_ event: RuleEvent) throws -> RuleEvent {
        var event = event
        event.signature = RuleEventSignature(key: Ed25519.keyID(publicKey: publicKey),
                                             value: Base64.encode(try sign(Array(event.hash.utf8))))
        return event
    }
}
