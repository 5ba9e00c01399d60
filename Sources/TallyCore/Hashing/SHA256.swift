import CCrypto

/// SHA-256 (FIPS 180-4) for content hashes, frame ids and hash chains, computed by
/// Debian's libcrypto, whose assembly uses the CPU's SHA instructions (ARCHITECTURE.md
/// says why the pure core may call it: it is computation, no I/O). Its digests equal
/// `PortableSHA256`'s (SHA256Tests checks), so frames hashed before still verify.
///
/// A value type over libcrypto's plain `SHA256_CTX` (no heap context): the low-level
/// calls cost ~120 ns for a frame id where EVP's context setup costs more than the hash.
public struct SHA256 {
    private var context = SHA256_CTX()

    public init() { tally_sha256_init(&context) }

    public mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { update(buffer: UnsafeRawBufferPointer($0)) }
        if handled == nil { Array(bytes).withUnsafeBytes { update(buffer: $0) } }
    }

    public mutating func update(buffer: UnsafeRawBufferPointer) {
        if buffer.isEmpty { return }
        tally_sha256_update(&context, buffer.baseAddress, buffer.count)
    }

    public mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { update(buffer: UnsafeRawBufferPointer($0)) }
    }

    public mutating func update(byte: UInt8) {
        withUnsafeBytes(of: byte) { update(buffer: $0) }
    }

    public consuming func finalize() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { digest, count in
            tally_sha256_final(digest.baseAddress, &context)
            count = 32
        }
    }

    /// Writes the digest as 64 lowercase hex digits at `out`, allocating nothing.
    public consuming func writeHex(to out: UnsafeMutablePointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
            tally_sha256_final(digest.baseAddress, &context)
            Hex.write(UnsafeRawBufferPointer(digest), to: out)
        }
    }

    /// The digest of `bytes` as 64 lowercase hex characters.
    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        if let text = bytes.withContiguousStorageIfAvailable({ hex(buffer: UnsafeRawBufferPointer($0)) }) { return text }
        return Array(bytes).withUnsafeBytes { hex(buffer: $0) }
    }

    /// The digest of `buffer` as hex, without allocating the digest.
    public static func hex(buffer: UnsafeRawBufferPointer, prefixBytes: Int = 32) -> String {
        var context = SHA256_CTX()
        tally_sha256_init(&context)
        if !buffer.isEmpty { tally_sha256_update(&context, buffer.baseAddress, buffer.count) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
            tally_sha256_final(digest.baseAddress, &context)
            return Hex.encode(buffer: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digest)[0..<prefixBytes]))
        }
    }
}
/// Lowercase hexadecimal rendering of bytes.
public enum Hex {
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        if let text = bytes.withContiguousStorageIfAvailable({ encode(buffer: UnsafeRawBufferPointer($0)) }) { return text }
        return Array(bytes).withUnsafeBytes { encode(buffer: $0) }
    }

    /// Written straight into the string's storage: two of these per frame.
    public static func encode(buffer: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: buffer.count * 2) { out in
            for (i, byte) in buffer.enumerated() {
                out[2 * i] = digit(byte >> 4)
                out[2 * i + 1] = digit(byte & 15)
            }
            return buffer.count * 2
        }
    }

    /// Writes `2 × buffer.count` hex digits at `out`.
    public static func write(_ buffer: UnsafeRawBufferPointer, to out: UnsafeMutablePointer<UInt8>) {
        for (i, byte) in buffer.enumerated() {
            out[2 * i] = digit(byte >> 4)
            out[2 * i + 1] = digit(byte & 15)
        }
    }

    @inline(__always) private static func digit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }
}
