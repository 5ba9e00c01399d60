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
        writeHex(to: out, prefixBytes: 32)
    }

    /// Writes the hex digits of the digest's first `prefixBytes` bytes (a frame id's 16) at `out`.
    public consuming func writeHex(to out: UnsafeMutablePointer<UInt8>, prefixBytes: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
            tally_sha256_final(digest.baseAddress, &context)
            Hex.write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digest)[0..<prefixBytes]), to: out)
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
            if let start = out.baseAddress { write(buffer, to: start) }
            return buffer.count * 2
        }
    }

    /// Writes `2 × buffer.count` hex digits at `out`: each byte's two digits are one
    /// two-byte load from a 512-byte table and one store (a frame writes 80 bytes' worth:
    /// its id, its sample digest and its content hash; a compare and a branch per nibble
    /// cost more).
    public static func write(_ buffer: UnsafeRawBufferPointer, to out: UnsafeMutablePointer<UInt8>) {
        guard let source = buffer.baseAddress else { return }
        let pairs = UnsafeRawPointer(pairTable.utf8Start)
        let destination = UnsafeMutableRawPointer(out)
        for i in 0..<buffer.count {
            let byte = Int(source.load(fromByteOffset: i, as: UInt8.self))
            destination.storeBytes(of: pairs.loadUnaligned(fromByteOffset: 2 &* byte, as: UInt16.self),
                                   toByteOffset: 2 &* i, as: UInt16.self)
        }
    }

    /// "000102…feff": byte b's two digits at offset 2b. A literal, so the table is constant
    /// data (no lazily initialised global to check at each use).
    @inline(__always) static var pairTable: StaticString {
        """
        000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\
        202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\
        404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f\
        606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f\
        808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f\
        a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\
        c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf\
        e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
        """
    }
}
