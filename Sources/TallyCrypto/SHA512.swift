import CCrypto
import TallyCore

/// SHA-512 from Debian's libcrypto, for CloudKitty's pyscript `checksum` (the hex SHA-512 of
/// the script's data). Not on any hot path: one call per script shown.
public enum SHA512 {
    public static func hex(_ text: String) -> String {
        var digest = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        let bytes = Array(text.utf8)
        let ok = bytes.withUnsafeBytes { data in
            EVP_Digest(data.baseAddress, data.count, &digest, &length, EVP_sha512(), nil)
        }
        precondition(ok == 1 && length == 64, "EVP_Digest(SHA-512) failed")
        return Hex.encode(digest)
    }
}
