import Testing
import TallyCore
@testable import TallyScript

@Suite struct ErrorTests {
    func compileError(_ source: String) -> ScriptError? {
        do {
            _ = try LuaScript(name: "broken.lua", source: source)
            return nil
        } catch {
            return error
        }
    }

    @Test func syntaxErrorsNameTheLine() throws {
        let error = try #require(compileError("function rate(window)\n  return 1 +\nend\n"))
        #expect(error.kind == .compile)
        #expect(error.line == 3)
        #expect(error.script == "broken.lua")
        #expect(error.description.hasPrefix("script 'broken.lua' line 3: compile:"))
    }

    @Test func aScriptWithoutRateDoesNotCompile() throws {
        let error = try #require(compileError("function price(w) return 1 end"))
        #expect(error.kind == .compile)
        #expect(error.message.contains("rate(window)"))
    }

    @Test func topLevelErrorsAreReportedAtCompileTime() throws {
        let error = try #require(compileError("local x = nil\nlocal y = x.field\nfunction rate(w) return 1 end"))
        #expect(error.kind == .runtime)
        #expect(error.line == 2)
    }

    @Test func runtimeErrorsNameTheLineAndAreCounted() throws {
        let s = try LuaScript(name: "fails", source: """
        function rate(window)
          local flavor = window.groupby.flavor_name
          if flavor == "m1.small" then
            error("no price for " .. flavor)
          end
          return 1
        end
        """)
        #expect {
            _ = try s.evaluate(sampleWindow())
        } throws: { error in
            let e = error as? ScriptError
            return e?.kind == .runtime && e?.line == 4 && e?.message == "no price for m1.small"
        }
        #expect(s.counts[.runtime] == 1)
        #expect(s.counts.failed == 1)
        #expect(s.counts.succeeded == 0)
    }

    @Test func nonStringErrorObjectsAreDescribed() throws {
        let error = try #require(try failure("error({code = 1})"))
        #expect(error.kind == .runtime)
        #expect(error.message.contains("table"))
    }

    @Test func windowFieldsAreVisible() throws {
        let body = """
        assert(window.metric == "instance" and window.scope == "project-a" and window.user == "user-1")
        assert(window.resource == "vm-1" and window.unit == "instance")
        assert(window.start == 1700000000 and window["end"] == 1700003600)
        assert(window.groupby.flavor_name == "m1.small")
        assert(window.metadata.vcpus == 2 and window.metadata.gpu == false and window.metadata.image == "debian-12")
        assert(math.type(window.start) == "integer")
        return 1
        """
        #expect(try price(body) == "1")
    }
}
