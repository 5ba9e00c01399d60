import CLua
import TallyCore

extension LuaScript {
    /// Pushes the `window` table. Runs on the host side with the memory cap off.
    func pushWindow(_ w: ScriptWindow) {
        let L = state
        lua_createtable(L, 0, 11)
        setString(w.metric, "metric")
        setString(w.scope, "scope")
        setString(w.user, "user")
        setString(w.resource, "resource")
        setString(w.unit, "unit")
        setDecimal(w.quantity, "quantity")
        setDecimal(w.price, "price")
        lua_pushinteger(L, lua_Integer(Self.epochSeconds(w.start)))
        lua_setfield(L, -2, "start")
        lua_pushinteger(L, lua_Integer(Self.epochSeconds(w.end)))
        lua_setfield(L, -2, "end")

        lua_createtable(L, 0, Int32(clamping: w.groupby.count))
        for (key, value) in w.groupby { setString(value, key) }
        lua_setfield(L, -2, "groupby")

        lua_createtable(L, 0, Int32(clamping: w.metadata.count))
        for (key, value) in w.metadata {
            pushValue(value)
            lua_setfield(L, -2, key)
        }
        lua_setfield(L, -2, "metadata")
    }

    /// Whole seconds, rounded toward the past (also for instants before 1970).
    static func epochSeconds(_ t: EventTime) -> Int64 {
        let (q, r) = t.micros.quotientAndRemainder(dividingBy: EventTime.microsPerSecond)
        return r < 0 ? q - 1 : q
    }

    private func pushValue(_ value: ScriptValue) {
        let L = state
        switch value {
        case .string(let s): pushString(s)
        case .integer(let i): lua_pushinteger(L, lua_Integer(i))
        case .decimal(let d): var c = TallyDec(d); tally_dec_push(L, &c)
        case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
        }
    }

    private func setString(_ value: String, _ field: String) {
        pushString(value)
        lua_setfield(state, -2, field)
    }

    private func setDecimal(_ value: ExactDecimal, _ field: String) {
        var c = TallyDec(value)
        tally_dec_push(state, &c)
        lua_setfield(state, -2, field)
    }

    private func pushString(_ s: String) {
        var s = s
        s.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(state, $0.baseAddress, $0.count) }
        }
    }
}
