import CLua
import TallyCore

/// One compiled rating script in its own sandboxed Lua state.
///
/// The text is compiled once; every `evaluate` re-runs the chunk in a fresh environment
/// and calls its `rate(window)`, so globals, top-level locals and upvalues never carry
/// over from one window to the next. See docs/SCRIPTS.md for the contract.
///
/// Not thread-safe: a Lua state must be used by one thread at a time. Give each
/// partition task its own `LuaScript` (compiling is cheap).
public final class LuaScript {
    public let name: String
    public let limits: ScriptLimits
    /// Evaluations that succeeded and failed, per kind of failure.
    public private(set) var counts = ScriptErrorCounts()

    let state: OpaquePointer
    let sandbox: UnsafeMutablePointer<TallySandbox>
    let chunkReference: Int32

    /// Compiles `source` (text only; binary chunks are refused) and checks that it
    /// defines `rate`. Throws `.compile` for syntax errors and a missing `rate`, or the
    /// kind of whatever went wrong while running the chunk's top level.
    public init(name: String, source: String, limits: ScriptLimits = .default) throws(ScriptError) {
        _ = ScriptDecimalBridge.installed
        self.name = name
        self.limits = limits
        sandbox = UnsafeMutablePointer<TallySandbox>.allocate(capacity: 1)
        sandbox.initialize(to: TallySandbox())
        sandbox.pointee.cap = limits.memoryCap
        sandbox.pointee.hookSlice = max(1, limits.checkInterval)
        guard let L = tally_sandbox_newstate(sandbox) else {
            sandbox.deallocate()
            throw ScriptError(kind: .memoryExceeded, script: name, line: nil, message: "cannot create a Lua state")
        }
        state = L
        guard tally_sandbox_setup(L) == LUA_OK else {
            lua_close(L)
            sandbox.deallocate()
            throw ScriptError(kind: .memoryExceeded, script: name, line: nil, message: "cannot set up the sandbox")
        }
        var text = source
        let status = text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { tally_sandbox_load(L, $0.baseAddress, $0.count, name) }
        }
        guard status == LUA_OK else {
            let (message, line) = Self.errorText(L, script: name)
            lua_close(L)
            sandbox.deallocate()
            throw ScriptError(kind: .compile, script: name, line: line, message: message)
        }
        tally_lua_generational(L)
        chunkReference = luaL_ref(L, tally_lua_registryindex())
        try checkDefinesRate()
    }

    deinit {
        lua_close(state)
        sandbox.deallocate()
    }

    /// Bytes the Lua state holds now.
    public var memoryInUse: Int { sandbox.pointee.used }

    /// Prices one window: runs the chunk in a fresh environment, then `rate(window)`.
    /// The result is the module's price (a script module sets the price; the incoming
    /// price is `window.price`). Each failure is counted in `counts` and thrown.
    public func evaluate(_ window: ScriptWindow) throws(ScriptError) -> ExactDecimal {
        do {
            let price = try run { pushWindow(window) }
            counts.recordSuccess()
            return price
        } catch {
            counts.record(error.kind)
            throw error
        }
    }

    /// Runs the chunk once at compile time to find `rate` (a missing `rate` is a
    /// compile error, not a failure of every window later).
    private func checkDefinesRate() throws(ScriptError) {
        let L = state
        lua_settop(L, 0)
        defer { tally_sandbox_end(L, sandbox) }
        try runChunk()
        let isFunction = tally_lua_isfunction(L, -1) != 0
        lua_settop(L, 0)
        if !isFunction {
            throw ScriptError(kind: .compile, script: name, line: nil,
                              message: "the script must define a global function rate(window) that returns the price")
        }
    }
}
