import CTallySIMD

/// Substring search over raw bytes, for the format sniffs that ask whether a record holds a
/// key at all before anything walks it (`SampleFormatSniffer`, `tally rate`'s Ceilometer
/// lines). glibc's `memmem` (declared in CTallySIMD's header: Swift's Glibc module leaves
/// out this GNU extension): on `tally rate`'s ~260-byte native lines two of them took 79–83 ns
/// against 89–90 ns for a hand-written one-pass word scan for both keys (7 Dec 2026).
public enum ByteSearch {
    /// Whether the bytes of `needle` occur in `haystack`.
    public static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: StaticString) -> Bool {
        guard let base = haystack.baseAddress else { return false }
        return memmem(base, haystack.count, needle.utf8Start, needle.utf8CodeUnitCount) != nil
    }
}
