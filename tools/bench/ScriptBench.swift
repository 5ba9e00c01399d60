import TallyCore
import TallyScript

/// Measures sandboxed script evaluations per second (one `LuaScript`, one thread) for a
/// typical rating script: a flavor lookup, a metadata read and dec arithmetic.
func runScriptBench(evaluations: Int = 200_000) {
    let source = """
    local per_hour = { ["m1.small"] = dec("0.05"), ["m1.large"] = dec("0.20") }
    function rate(window)
      local unit_price = per_hour[window.groupby.flavor_name] or dec("0.10")
      local gpu = window.metadata.gpu and dec("1.50") or dec(0)
      return window.price + window.quantity * (unit_price + gpu) / 3600
    end
    """
    let window = ScriptWindow(
        metric: "instance", scope: "project-a", user: "user-1", resource: "vm-1", unit: "instance",
        quantity: ExactDecimal(3600), start: EventTime(micros: 0), end: EventTime(micros: 3_600_000_000),
        groupby: ["flavor_name": "m1.small", "project_id": "project-a"],
        metadata: ["vcpus": .integer(2), "gpu": .bool(false), "image": .string("debian-12")],
        price: ExactDecimal("0.01")!)
    let clock = ContinuousClock()
    do {
        var script: LuaScript?
        let compile = clock.measure {
            for _ in 0..<100 { script = try? LuaScript(name: "bench", source: source) }
        }
        guard let script else { print("script bench: the script does not compile"); return }
        var last = ExactDecimal.zero
        let elapsed = try clock.measure {
            for _ in 0..<evaluations { last = try script.evaluate(window) }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let compileMicros = Double(compile.components.attoseconds) * 1e-12 / 100
            + Double(compile.components.seconds) * 1e6 / 100
        print("script bench: \(evaluations) evaluations in \(seconds) s = \(Int(Double(evaluations) / seconds)) evaluations/s; "
              + "compile \(Int(compileMicros)) µs; price \(last.normalized()); memory \(script.memoryInUse) bytes")
    } catch {
        print("script bench failed: \(error)")
    }
}
