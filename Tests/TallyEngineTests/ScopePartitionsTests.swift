import Testing
import TallyCore
@testable import TallyEngine

/// A frame's partition is FNV-1a 32-bit of its scope id modulo the partition count
/// (docs/FRAMES.md); the per-symbol cache must give exactly that, for any scope's bytes.
@Suite struct ScopePartitionsTests {
    @Test func fnv1aMatchesTheReferenceVectors() {
        // FNV-1a 32-bit test vectors (offset basis 0x811C9DC5, prime 0x01000193).
        #expect(ScopePartitions.fnv1a("") == 0x811C_9DC5)
        #expect(ScopePartitions.fnv1a("a") == 0xE40C_292C)
        #expect(ScopePartitions.fnv1a("foobar") == 0xBF9C_F968)
    }

    @Test(arguments: [1, 3, 7, 64])
    func cachedPartitionsAreTheHashOfTheScopesText(count: Int32) {
        let symbols = SymbolTable()
        var cache = ScopePartitions()
        var scopes: [Symbol] = []
        for i in 0..<300 { scopes.append(symbols.intern("project-\(i * 7919)")) }
        // Bytes that are not UTF-8: the frame carries them as U+FFFD, and so does the hash.
        scopes.append([0x66, 0xFF, 0x6F].withUnsafeBytes { symbols.intern($0) })
        for _ in 0..<2 {  // the second round reads the cache
            for scope in scopes.reversed() {
                let expected = Int32(bitPattern: ScopePartitions.fnv1a(symbols.string(scope)) % UInt32(count))
                #expect(cache.partition(of: scope, count: count, text: symbols.string) == expected)
            }
        }
    }

    @Test func theTextIsAskedOncePerScope() {
        let symbols = SymbolTable()
        let scope = symbols.intern("acct-1")
        var cache = ScopePartitions()
        var asked = 0
        for _ in 0..<5 { _ = cache.partition(of: scope, count: 3) { asked += 1; return symbols.string($0) } }
        #expect(asked == 1)
    }
}
