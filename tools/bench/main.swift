import Foundation

// tally-bench [e2e|fold|decode|rating|closing|rate|script|rulelog|adapters|summary|all] [--records N] [--no-sync]
// Prints figures; asserts nothing (testing.md: benchmarks are not timed tests).
let arguments = CommandLine.arguments.dropFirst()
let which = arguments.first { !$0.hasPrefix("-") && Int($0) == nil } ?? "all"
let records = arguments.firstIndex(of: "--records").flatMap { i in arguments.dropFirst(i - arguments.startIndex + 1).first.flatMap { Int($0) } } ?? 50_000
let tallyBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tally").path

if which == "decode" || which == "all" { print("== decode"); runDecodeBench(); runSignatureBench() }
if which == "rating" || which == "all" { print("== rating"); runRatingBench() }
if which == "closing" || which == "all" { print("== closing (core, one core)"); runClosingBench() }
if which == "rate" || which == "all" { print("== rate (offline CLI path)"); runRateBench() }
if which == "script" || which == "all" { print("== script"); runScriptBench() }
if which == "rulelog" || which == "all" { print("== rule log"); runRuleLogBench() }
if which == "summary" {
    let frames = arguments.firstIndex(of: "--frames").flatMap { i in arguments.dropFirst(i - arguments.startIndex + 1).first.flatMap { Int($0) } } ?? 1_000_000
    print("== summary over the frame index (\(frames) frames)")
    do { try runSummaryIndexBench(frames: frames) } catch { print("summary benchmark failed: \(error)"); exit(1) }
}
if which == "adapters" { print("== adapters (needs the broker; 1M × 200 B)"); runAdapterBench() }
if which == "fold" || which == "all" {
    print("== engine alone (\(records) records × 10 samples)")
    do { try runFoldBench(records: records) } catch { print("fold benchmark failed: \(error)"); exit(1) }
}
if which == "e2e" || which == "all" {
    print("== end to end (\(records) records × 10 samples)")
    let durable = !arguments.contains("--no-sync")
    do { try runEndToEndBench(records: records, tallyBinary: tallyBinary, durable: durable) } catch {
        print("end-to-end benchmark failed: \(error)"); exit(1)
    }
}
