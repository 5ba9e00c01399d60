import TallyCore

/// The rating core's `ScriptEvaluator` on Lua: compiles each script rule once
/// (per id and source) and evaluates it per window. One evaluator belongs to one
/// rating thread. The description's values reach the script as `metadata`
/// (numbers as exact decimals, booleans as booleans, null left out).
public final class LuaScriptEvaluator: ScriptEvaluator {
    private var compiled: [String: (source: String, script: LuaScript)] = [:]
    public let limits: ScriptLimits

    public init(limits: ScriptLimits = .default) { self.limits = limits }

    public func evaluate(script: ScriptRule, input: RatingInput, currentPrice: ExactDecimal) throws -> ExactDecimal {
        let lua: LuaScript
        if let cached = compiled[script.id], cached.source == script.source {
            lua = cached.script
        } else {
            lua = try LuaScript(name: script.id, source: script.source, limits: limits)
            compiled[script.id] = (script.source, lua)
        }
        var metadata: [String: ScriptValue] = [:]
        let d = input.description
        for i in d.names.indices {
            switch d.kinds[i] {
            case .int: metadata[d.names[i]] = Int64(d.texts[i]).map(ScriptValue.integer) ?? ExactDecimal(d.texts[i]).map(ScriptValue.decimal)
            case .float: metadata[d.names[i]] = ExactDecimal(d.texts[i]).map(ScriptValue.decimal)
            case .bool: metadata[d.names[i]] = .bool(d.texts[i] == "true")
            case .null, .absent: break
            case .string, .other: metadata[d.names[i]] = .string(d.texts[i])
            }
        }
        let window = ScriptWindow(metric: input.service, scope: input.scope, user: input.user ?? "", resource: input.resource,
                                  unit: input.unit, quantity: input.quantity, start: input.windowStart, end: input.windowEnd,
                                  groupby: [:], metadata: metadata, price: currentPrice)
        return try lua.evaluate(window)
    }
}
