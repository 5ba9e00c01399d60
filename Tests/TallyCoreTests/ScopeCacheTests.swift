import Testing
@testable import TallyCore

/// The Rater's per-epoch scope table: every scope inserted is found with its own rules,
/// across growth, and nothing is found after it is emptied.
@Suite struct ScopeCacheTests {
    @Test func findsEveryScopeAcrossGrowthAndForgetsThemWhenEmptied() {
        let cache = ScopeCache()
        let scopes = (0..<1_000).map { $0 % 3 == 0 ? "a-much-longer-scope-name-that-is-not-a-small-string-\($0)" : "s\($0)" }
        let rules = scopes.map { _ in LiveRules(RuleSet(), at: RT.t0, scope: nil) }
        for (scope, r) in zip(scopes, rules) {
            #expect(cache.find(scope) == nil)
            cache.insert(scope, r)
        }
        for (scope, r) in zip(scopes, rules) { #expect(cache.find(scope) === r) }
        #expect(cache.find("s1000") == nil)
        cache.removeAll()
        #expect(scopes.allSatisfy { cache.find($0) == nil })
        cache.insert(scopes[7], rules[8])
        #expect(cache.find(scopes[7]) === rules[8])
        #expect(cache.find(scopes[8]) == nil)
    }
}
