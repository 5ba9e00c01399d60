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
        for i in 0..<d.count {
            let name = d.name(at: i), text = d.text(at: i)
            switch d.kind(at: i) {
            case .int: metadata[name] = Int64(text).map(ScriptValue.integer) ?? ExactDecimal(text).map(ScriptValue.decimal)
            case .float: metadata[name] = ExactDecimal(text).map(ScriptValue.decimal)
            case .bool: metadata[name] = .bool(text == "true")
            case .null, .absent: break
            case .string, .other: metadata[name] = .string(text)
            }
        }
        let window = ScriptWindow(metric: input.service, scope: input.scope, user: input.user ?? "", resource: input.resource,
                                  unit: input.unit, quantity: input.quantity, start: input.windowStart, end: input.windowEnd,
                                  groupby: [:], metadata: metadata, price: currentPrice)
        return try lua.evaluate(window)
    }
}
