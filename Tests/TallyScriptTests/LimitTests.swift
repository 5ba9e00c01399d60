import Testing
import TallyCore
@testable import TallyScript

@Suite struct LimitTests {
    /// After a contained failure the same state must still price correctly.
    func expectUsableAfter(_ body: String, kind: ScriptError.Kind, limits: ScriptLimits = .default) throws {
        let s = try LuaScript(name: "limits", source: """
        function rate(window)
          if window.metric == "bad" then
        \(body)
          end
          return window.quantity * dec("0.10")
        end
        """, limits: limits)
        var bad = sampleWindow()
        bad.metric = "bad"
        for _ in 0..<2 {
            #expect { _ = try s.evaluate(bad) } throws: { ($0 as? ScriptError)?.kind == kind }
            #expect(try s.evaluate(sampleWindow()) == ExactDecimal("0.25")!)
        }
        #expect(s.counts[kind] == 2)
        #expect(s.counts.succeeded == 2)
    }

    @Test func endlessLoopIsStoppedByTheBudget() throws {
        try expectUsableAfter("while true do end", kind: .budgetExceeded)
    }

    @Test func budgetErrorCannotBeSwallowedByPcall() throws {
        try expectUsableAfter("while true do pcall(function() while true do end end) end", kind: .budgetExceeded)
    }

    @Test func budgetCoversTheTopLevelAndIsExact() throws {
        let limits = ScriptLimits(instructionBudget: 50_000, checkInterval: 1)
        let s = try LuaScript(name: "count", source: """
        function rate(window)
          local n = 0
          for i = 1, tonumber(window.metadata.image:match("%d+")) * 1000 do n = n + 1 end
          return n
        end
        """, limits: limits)
        var small = sampleWindow()
        small.metadata["image"] = .string("debian-12") // 12_000 iterations
        #expect(try s.evaluate(small) == ExactDecimal(12_000))
        var large = sampleWindow()
        large.metadata["image"] = .string("debian-90") // 90_000 iterations
        #expect { _ = try s.evaluate(large) } throws: { ($0 as? ScriptError)?.kind == .budgetExceeded }
    }

    @Test func unboundedAllocationIsStoppedByTheCap() throws {
        let limits = ScriptLimits(instructionBudget: 100_000_000, memoryCap: 1 << 20)
        try expectUsableAfter("local t = {} for i = 1, 1e9 do t[i] = {i} end", kind: .memoryExceeded, limits: limits)
        try expectUsableAfter("local s = 'x' while true do s = s .. s end", kind: .memoryExceeded, limits: limits)
    }

    @Test func memoryErrorCaughtByPcallStillFailsTheWindow() throws {
        let limits = ScriptLimits(instructionBudget: 100_000_000, memoryCap: 1 << 20)
        try expectUsableAfter("pcall(string.rep, 'x', 1 << 30)", kind: .memoryExceeded, limits: limits)
    }

    @Test func expensiveLibraryCallsAreCharged() throws {
        // Each is a handful of VM instructions but many millions of steps in C.
        try expectUsableAfter("local s = string.rep('a', 3000) s:find('.-.-.-.-b')", kind: .budgetExceeded)
        try expectUsableAfter("table.move({}, 1, 1 << 40, 2)", kind: .budgetExceeded)
        try expectUsableAfter("local s = string.rep('a', 1 << 20) for i = 1, 1e6 do local t = s .. 'b' end",
                              kind: .budgetExceeded)
    }

    @Test func memoryStaysBoundedOverManyWindows() throws {
        let s = try script("local t = {} for i = 1, 100 do t[i] = window.quantity * i end return t[100]")
        for _ in 0..<5_000 { _ = try s.evaluate(sampleWindow()) }
        #expect(s.memoryInUse < ScriptLimits.default.memoryCap / 2)
        #expect(s.counts.succeeded == 5_000)
    }

    @Test func memoryInUseIsReported() throws {
        let s = try script("return 1")
        #expect(s.memoryInUse > 0)
        #expect(s.memoryInUse < ScriptLimits.default.memoryCap)
    }
}
