import Foundation

// tally-bench [e2e|fold|decode|rating|closing|rate|script|rulelog|replay|memory|latency|adapters|route|group|parking|summary|dashboard|all]
//             [--records N] [--windows N] [--latency-seconds N] [--idle-seconds N] [--frames N] [--resources N] [--quick] [--no-sync]
//             [--no-replay] [--keep] [--kafka NAME=VALUE ...] [--passes N (fold: rate the same records N times; rulelog: fold them on two threads N times)]
// Prints figures; asserts nothing (testing.md: benchmarks are not timed tests).
// --quick shortens the memory (200,000 windows) and latency (70 s) rows; the default prints them at full size.
let arguments = CommandLine.arguments.dropFirst()
let which = arguments.first { !$0.hasPrefix("-") && Int($0) == nil } ?? "all"
let records = arguments.firstIndex(of: "--records").flatMap { i in arguments.dropFirst(i - arguments.startIndex + 1).first.flatMap { Int($0) } } ?? 50_000
func intOption(_ name: String) -> Int? {
    arguments.firstIndex(of: name).flatMap { i in arguments.dropFirst(i - arguments.startIndex + 1).first.flatMap { Int($0) } }
}
let quick = arguments.contains("--quick")
let benchBinary = URL(fileURLWithPath: CommandLine.arguments[0]).path
let tallyBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tally").path

let benchNames: Set = ["e2e", "fold", "decode", "rating", "closing", "rate", "script", "rulelog", "replay", "memory", "latency",
                        "adapters", "route", "group", "parking", "summary", "dashboard", "all", "open-windows-child"]
if arguments.contains("--help") || arguments.contains("-h") || !benchNames.contains(which) {
    // An unknown name used to run nothing silently, and `--help` ran the whole bench.
    if !benchNames.contains(which) { print("tally-bench: no benchmark named \(which)") }
    print("""
    usage: tally-bench [e2e|fold|decode|rating|closing|rate|script|rulelog|replay|memory|latency|adapters|route|group|parking|summary|dashboard|all]
                       [--records N] [--windows N] [--latency-seconds N] [--idle-seconds N] [--frames N] [--resources N] [--quick]
                       [--no-sync] [--no-replay] [--keep] [--kafka NAME=VALUE ...] [--passes N]
    Prints figures (release build: swift build -c release --product tally-bench); asserts nothing.
    Without a name, runs `all` (every row of README's issue-10 table; route, group, parking and adapters only by name).
    """)
    exit(arguments.contains("--help") || arguments.contains("-h") ? 0 : 2)
}

if which == "open-windows-child" {  // the memory row's own process (OpenWindowsBench.swift)
    do { try runOpenWindowsChild(windows: intOption("--windows") ?? 1_000_000, dir: arguments.last!) } catch { print("\(error)"); exit(1) }
    exit(0)
}
if which == "decode" || which == "all" { print("== decode"); runDecodeBench(); runSignatureBench() }
if which == "rating" || which == "all" { print("== rating"); runRatingBench() }
if which == "closing" || which == "all" { print("== closing (core, one core)"); runClosingBench() }
if which == "rate" || which == "all" { print("== rate (offline CLI path)"); runRateBench() }
if which == "script" || which == "all" { print("== script"); runScriptBench() }
if which == "rulelog" || which == "all" { print("== rule log"); runRuleLogBench(passes: intOption("--passes") ?? 1) }
if which == "replay" || which == "all" { print("== replay (reading emitted frames back)"); runReplayBench() }
if which == "summary" || which == "all" {
    let frames = intOption("--frames") ?? 1_000_000
    print("== summary over the frame index (\(frames) frames)")
    do { try runSummaryIndexBench(frames: frames) } catch { print("summary benchmark failed: \(error)"); exit(1) }
}
if which == "dashboard" || which == "all" {
    let resources = intOption("--resources") ?? 1_000
    print("== dashboard overview (30 days × \(resources) resources)")
    do { try runDashboardBench(resources: resources) } catch { print("dashboard benchmark failed: \(error)"); exit(1) }
}
if which == "route" {  // needs the broker; not in `all`
    print("== route (tally route as its own process, \(records) records × 10 samples)")
    do { try runRouteBench(records: records, tallyBinary: tallyBinary) } catch { print("route benchmark failed: \(error)"); exit(1) }
}
if which == "group" {  // needs the broker; not in `all`
    print("== group (1, 2 and 3 raters in a consumer group, each its own process, \(records) keyed records)")
    do { try runGroupBench(records: records, tallyBinary: tallyBinary) } catch { print("group benchmark failed: \(error)"); exit(1) }
}
if which == "parking" {  // needs the broker; not in `all`
    let seconds = intOption("--idle-seconds") ?? 30
    print("== parking (idle consumers on noida-db, \(seconds) s each; records produced to a parked partition)")
    do { try runParkingBench(idleSeconds: seconds) } catch { print("parking benchmark failed: \(error)"); exit(1) }
}
if which == "adapters" { print("== adapters (needs the broker; 1M × 200 B)"); runAdapterBench() }
if which == "fold" || which == "all" {
    print("== engine alone (\(records) records × 10 samples)")
    do { try runFoldBench(records: records, passes: intOption("--passes") ?? 1) } catch { print("fold benchmark failed: \(error)"); exit(1) }
}
if which == "e2e" || which == "all" {
    print("== end to end (\(records) records × 10 samples)")
    let durable = !arguments.contains("--no-sync")
    // Each `--kafka NAME=VALUE` is a librdkafka property for the rater (to compare settings).
    let kafka = arguments.indices.filter { arguments[$0] == "--kafka" && $0 + 1 < arguments.endIndex }.compactMap { i -> (String, String)? in
        let pair = arguments[i + 1].split(separator: "=", maxSplits: 1).map(String.init)
        return pair.count == 2 ? (pair[0], pair[1]) : nil
    }
    do {
        try runEndToEndBench(records: records, tallyBinary: tallyBinary, durable: durable, kafkaProperties: kafka,
                             replay: !arguments.contains("--no-replay"))
    } catch {
        print("end-to-end benchmark failed: \(error)"); exit(1)
    }
}
if which == "memory" || which == "all" {
    let windows = intOption("--windows") ?? (quick ? 200_000 : 1_000_000)
    print("== memory (\(windows) open windows, own process)")
    do { try runOpenWindowsBench(windows: windows, benchBinary: benchBinary) } catch { print("memory benchmark failed: \(error)"); exit(1) }
}
if which == "latency" || which == "all" {
    let seconds = intOption("--latency-seconds") ?? (quick ? 70 : 150)
    print("== live latency (tally run fed in real time for \(seconds) s)")
    do { try runLiveLatencyBench(seconds: seconds, tallyBinary: tallyBinary) } catch { print("latency benchmark failed: \(error)"); exit(1) }
}
