import CCrypto
import TallyWire

/// HMAC-SHA256 from Debian's libcrypto (OpenSSL 3's EVP_MAC, hardware SHA-256), keyed
/// once: each message re-initialises the context with the same key, which allocates
/// nothing. The key never leaves this object and is not printable.
public final class HMACSHA256: MessageAuthenticator, CustomStringConvertible {
    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    private let context: OpaquePointer

    /// - Parameter key: the secret's bytes (Ceilometer uses the UTF-8 of `telemetry_secret`).
    public init(key: [UInt8]) throws {
        guard !key.isEmpty else { throw SetupError(description: "the HMAC key is empty") }
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { throw SetupError(description: "libcrypto has no HMAC") }
        defer { EVP_MAC_free(mac) }
        guard let context = EVP_MAC_CTX_new(mac) else { throw SetupError(description: "EVP_MAC_CTX_new failed") }
        var digestName = Array("SHA256".utf8CString)
        let initialised = digestName.withUnsafeMutableBufferPointer { name in
            "digest".withCString { paramName in
                var params = [OSSL_PARAM_construct_utf8_string(paramName, name.baseAddress, 0), OSSL_PARAM_construct_end()]
                return key.withUnsafeBufferPointer { k in EVP_MAC_init(context, k.baseAddress, k.count, &params) }
            }
        }
        guard initialised == 1 else {
            EVP_MAC_CTX_free(context)
            throw SetupError(description: "EVP_MAC_init(HMAC, SHA256) failed")
        }
        self.context = context
    }

    private init(context: OpaquePointer) { self.context = context }

    deinit { EVP_MAC_CTX_free(context) }

    /// A context of its own with the same key (`EVP_MAC_CTX_dup` copies HMAC's key).
    public func independentCopy() throws -> MessageAuthenticator {
        guard let copy = EVP_MAC_CTX_dup(context) else { throw SetupError(description: "EVP_MAC_CTX_dup failed") }
        return HMACSHA256(context: copy)
    }

    public func authenticate(_ message: UnsafeRawBufferPointer, into digest: UnsafeMutablePointer<UInt8>) {
        // A null key re-initialises with the key given at init.
        _ = EVP_MAC_init(context, nil, 0, nil)
        _ = EVP_MAC_update(context, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count)
        var length = 0
        _ = EVP_MAC_final(context, digest, &length, 32)
    }

    public var description: String { "HMACSHA256(key: <hidden>)" }
}
