import TallyCore
@testable import TallyScript

/// A typical window: 2.5 hours of an m1.small instance.
func sampleWindow(quantity: String = "2.5", price: String = "0") -> ScriptWindow {
    ScriptWindow(metric: "instance", scope: "project-a", user: "user-1", resource: "vm-1", unit: "instance",
                 quantity: ExactDecimal(quantity)!,
                 start: EventTime(micros: 1_700_000_000_000_000), end: EventTime(micros: 1_700_003_600_500_000),
                 groupby: ["flavor_name": "m1.small", "project_id": "project-a"],
                 metadata: ["vcpus": .integer(2), "ram": .decimal(ExactDecimal("2048.0")!),
                            "image": .string("debian-12"), "gpu": .bool(false)],
                 price: ExactDecimal(price)!)
}

/// Compiles a script whose `rate` body is `body`.
func script(_ body: String, limits: ScriptLimits = .default) throws -> LuaScript {
    try LuaScript(name: "test", source: "function rate(window)\n\(body)\nend\n", limits: limits)
}

/// The error thrown by evaluating `body` on the sample window, or nil.
func failure(_ body: String, limits: ScriptLimits = .default) throws -> ScriptError? {
    let s = try script(body, limits: limits)
    do {
        _ = try s.evaluate(sampleWindow())
        return nil
    } catch {
        return error
    }
}

/// The price `body` gives for the sample window, as normalized text.
func price(_ body: String, window: ScriptWindow = sampleWindow()) throws -> String {
    try script(body).evaluate(window).normalized().description
}
