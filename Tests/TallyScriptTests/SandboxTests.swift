import Testing
import TallyCore
@testable import TallyScript

@Suite struct SandboxTests {
    @Test(arguments: ["io", "os", "require", "package", "debug", "dofile", "loadfile", "load", "loadstring",
                      "collectgarbage", "print", "rawset", "next", "coroutine", "_G", "xpcall"])
    func unsafeGlobalsAreAbsent(name: String) throws {
        #expect(try price("if \(name) ~= nil then return 1 end return 0") == "0")
    }

    @Test(arguments: ["string.dump", "string.pack", "string.unpack", "math.random", "math.randomseed",
                      "(\"\").dump"])
    func unsafeLibraryFunctionsAreAbsent(expression: String) throws {
        #expect(try price("if \(expression) ~= nil then return 1 end return 0") == "0")
    }

    @Test func pureLibrariesRemain() throws {
        let body = """
        local parts = {}
        for w in string.gmatch("a,b,c", "[^,]+") do table.insert(parts, w:upper()) end
        assert(table.concat(parts, "-") == "A-B-C")
        assert(math.max(3, 7) == 7 and math.floor(7 // 2) == 3)
        assert(utf8.len("héllo") == 5)
        assert(("m1.small"):match("^m1%.(%w+)$") == "small")
        return 1
        """
        #expect(try price(body) == "1")
    }

    @Test func usingARemovedFunctionIsARuntimeError() throws {
        let error = try #require(try failure("local f = io.open('/etc/passwd')\nreturn 1"))
        #expect(error.kind == .runtime)
        #expect(error.line == 2)
        #expect(error.message.contains("io"))
    }

    @Test func binaryChunksAreRefused() {
        #expect {
            _ = try LuaScript(name: "bin", source: "\u{1B}Lua\u{54}\u{00}junk")
        } throws: { error in
            let e = error as? ScriptError
            return e?.kind == .compile && e?.message.contains("binary") == true
        }
    }

    @Test func librariesAndMetatablesAreReadOnly() throws {
        #expect(try failure("string.upper = nil return 1")?.kind == .runtime)
        #expect(try failure("math.pi = 3 return 1")?.kind == .runtime)
        #expect(try failure("table.insert(string, 1) return 1")?.kind == .runtime)
        #expect(try failure("setmetatable(math, {}) return 1")?.kind == .runtime)
        #expect(try price("return getmetatable('') == 'locked' and 1 or 0") == "1")
        #expect(try price("return getmetatable(dec(1)) == 'locked' and 1 or 0") == "1")
    }

    @Test func nothingLeaksBetweenEvaluations() throws {
        let s = try LuaScript(name: "leak", source: """
        local calls = 0
        function rate(window)
          calls = calls + 1
          seen = (seen or 0) + 1
          return calls * 10 + seen
        end
        """)
        for _ in 0..<3 { #expect(try s.evaluate(sampleWindow()) == ExactDecimal(11)) }
    }

    @Test func pairsVisitsKeysInSortedOrder() throws {
        let body = """
        local out = {}
        for k, v in pairs({zeta = 1, alpha = 2, [3] = 'c', mid = 4, [1] = 'a'}) do out[#out + 1] = tostring(k) end
        return table.concat(out, ",") == "1,3,alpha,mid,zeta" and 1 or 0
        """
        #expect(try price(body) == "1")
    }
}

@Suite struct DeterminismTests {
    @Test func addressesNeverReachAScript() throws {
        #expect(try price("return tostring({}) == 'table' and tostring(print or rate) == 'function' and 1 or 0") == "1")
        #expect(try price("return string.format('%s|%5.1f', {}, 1.25) == 'table|  1.2' and 1 or 0") == "1")
        #expect(try failure("return string.format('%p', {})")?.kind == .runtime)
        #expect(try price("return tostring(dec('1.50')) == '1.50' and 1 or 0") == "1")
    }

    @Test func finalizersAndWeakTablesAreRefused() throws {
        let gc = try #require(try failure("setmetatable({}, {__gc = function() while true do end end}) return 1"))
        #expect(gc.kind == .runtime && gc.message.contains("__gc"))
        #expect(try failure("setmetatable({}, {__mode = 'k'}) return 1")?.message.contains("__mode") == true)
        #expect(try price("local t = setmetatable({}, {__index = function() return 5 end}) return t.x") == "5")
    }

    @Test func sortIsStableForLargeArrays() throws {
        // 500 records with only 3 distinct keys: Lua's own sort would shuffle ties per run.
        let body = """
        local rows = {}
        for i = 1, 500 do rows[i] = {key = i % 3, id = i} end
        table.sort(rows, function(a, b) return a.key < b.key end)
        for i = 2, #rows do
          local a, b = rows[i - 1], rows[i]
          assert(a.key < b.key or (a.key == b.key and a.id < b.id), "unstable at " .. i)
        end
        local plain = {5, 3, 9, 1, 3}
        table.sort(plain)
        return table.concat(plain, ",") == "1,3,3,5,9" and rows[1].id or -1
        """
        #expect(try price(body) == "3")
    }
}
