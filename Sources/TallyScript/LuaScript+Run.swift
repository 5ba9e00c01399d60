import CLua
import TallyCore

extension LuaScript {
    /// Stack slots used during one evaluation.
    private enum Slot {
        static let handler: Int32 = 1
        static let chunk: Int32 = 2
        static let env: Int32 = 3
    }

    /// Runs the chunk in a fresh environment and leaves `rate` (or whatever the chunk
    /// bound to that name) on top, with the handler, chunk and environment below it.
    /// Starts the evaluation's budget; the caller ends it with `tally_sandbox_end`.
    /// Host-side pushes happen with the cap off: a refused allocation outside a
    /// protected call would abort the process.
    func runChunk() throws(ScriptError) {
        let L = state
        tally_lua_pushcfunction(L, tally_sandbox_msgh)
        lua_rawgeti(L, tally_lua_registryindex(), lua_Integer(chunkReference))
        tally_sandbox_push_env(L)
        lua_pushvalue(L, Slot.env)
        _ = lua_setupvalue(L, Slot.chunk, 1) // the chunk's only upvalue is _ENV
        lua_pushvalue(L, Slot.chunk)
        tally_sandbox_begin(L, sandbox, limits.instructionBudget)
        let status = tally_lua_pcall(L, 0, 0, Slot.handler)
        sandbox.pointee.enforcing = 0
        try check(status)
        lua_pushstring(L, "rate")
        lua_rawget(L, Slot.env)
    }

    /// Runs the chunk, pushes the window with `pushInput`, calls `rate` and reads its
    /// price. Chunk and `rate` share one instruction budget.
    func run(pushInput: () -> Void) throws(ScriptError) -> ExactDecimal {
        let L = state
        lua_settop(L, 0)
        collectIfCrowded()
        defer {
            tally_sandbox_end(L, sandbox)
            lua_settop(L, 0)
        }
        try runChunk()
        guard tally_lua_isfunction(L, -1) != 0 else {
            throw ScriptError(kind: .runtime, script: name, line: nil, message: "rate is not a function")
        }
        pushInput()
        sandbox.pointee.enforcing = 1
        let status = tally_lua_pcall(L, 1, 1, Slot.handler)
        sandbox.pointee.enforcing = 0
        try check(status)
        guard let price = readPrice() else {
            throw ScriptError(kind: .badReturn, script: name, line: nil, message: describeBadReturn())
        }
        return price
    }

    /// Garbage left by earlier windows must not make this one fail: some library paths
    /// (string buffers) do not retry after a collection, so collect fully up front when
    /// garbage could crowd the cap.
    private func collectIfCrowded() {
        if sandbox.pointee.used > limits.memoryCap / 4 {
            tally_lua_collect(state)
        }
    }

    /// Turns a pcall status (and a limit hit that the script may have caught) into an error.
    private func check(_ status: Int32) throws(ScriptError) {
        let sb = sandbox.pointee
        if sb.budgetExceeded != 0 {
            throw ScriptError(kind: .budgetExceeded, script: name, line: sb.errorLine > 0 ? Int(sb.errorLine) : nil,
                              message: "instruction budget of \(limits.instructionBudget) exceeded")
        }
        if sb.memoryRefused != 0 || sb.pendingRefusal != 0 || status == LUA_ERRMEM {
            throw ScriptError(kind: .memoryExceeded, script: name, line: sb.errorLine > 0 ? Int(sb.errorLine) : nil,
                              message: "memory cap of \(limits.memoryCap) bytes exceeded")
        }
        guard status == LUA_OK else {
            var (message, line) = Self.errorText(state, script: name)
            if line == nil, sb.errorLine > 0 { line = Int(sb.errorLine) }
            throw ScriptError(kind: .runtime, script: name, line: line, message: message)
        }
    }

    /// The value on top as a price: a dec, a decimal string or an integer; nil otherwise.
    private func readPrice() -> ExactDecimal? {
        let L = state
        var dec = TallyDec()
        if tally_dec_get(L, -1, &dec) != 0 { return dec.exactDecimal }
        if lua_isinteger(L, -1) != 0 { return ExactDecimal(Int(tally_lua_tointeger(L, -1))) }
        if lua_type(L, -1) == LUA_TSTRING {
            var length = 0
            guard let text = lua_tolstring(L, -1, &length) else { return nil }
            return ExactDecimal(ascii: UnsafeRawBufferPointer(start: text, count: length))
                .flatMap(ScriptDecimalGuard.inRange)
        }
        return nil
    }

    private func describeBadReturn() -> String {
        let L = state
        switch lua_type(L, -1) {
        case LUA_TNUMBER:
            return "rate returned a float (\(String(cString: tally_lua_tostring(L, -1)))); "
                + "return a dec, a decimal string or an integer: use dec('...') for money"
        case LUA_TSTRING:
            return "rate returned a string that is not a decimal number: \(String(cString: tally_lua_tostring(L, -1)).prefix(60))"
        default:
            return "rate returned \(String(cString: lua_typename(L, lua_type(L, -1)))); return a dec, a decimal string or an integer"
        }
    }

    /// The error object on top as text, with Lua's `name:line:` prefix split off.
    static func errorText(_ L: OpaquePointer, script: String) -> (String, Int?) {
        guard lua_type(L, -1) == LUA_TSTRING, let raw = tally_lua_tostring(L, -1) else {
            return ("error object is a \(String(cString: lua_typename(L, lua_type(L, -1)))) value", nil)
        }
        return splitPosition(String(cString: raw), script: script)
    }

    /// "name:12: message" → ("message", 12). Lua shortens long names to 59 bytes.
    static func splitPosition(_ message: String, script: String) -> (String, Int?) {
        let shown = String(decoding: script.utf8.prefix(59), as: UTF8.self)
        guard message.hasPrefix(shown + ":") else { return (message, nil) }
        let rest = message.dropFirst(shown.count + 1)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard let line = Int(digits), rest.dropFirst(digits.count).hasPrefix(": ") else { return (message, nil) }
        return (String(rest.dropFirst(digits.count + 2)), line)
    }
}
