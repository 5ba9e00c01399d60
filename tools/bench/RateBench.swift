import Foundation
import TallyCore
import TallyRater
import TallyRuntime
import TallyWire
import TallyThreads

/// `tally rate`'s engine path (OfflineRating) on synthetic native samples with the
/// example metrics and rules: lines → fold → close → price → frames, CPU time (writing
/// the frames out is not counted).
/// One sample per window (each resource, each hour), so windows/s is samples/s.
func runRateBench(windows: Int = 100_000) {
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let examples = here.appendingPathComponent("examples")
    do {
        let metrics = try MetricsConfigLoader.load(contentsOf: examples.appendingPathComponent("metrics.yaml").path)
        let pricer = try PricerFactory.make(rulesFile: examples.appendingPathComponent("rules.yaml").path)
        let flavors = ["m1.small", "m1.medium", "m1.large", "m1.tiny"]
        var text = ""
        text.reserveCapacity(windows * 260)
        let resources = 1_000
        for i in 0..<windows {
            let hour = i / resources, minute = (i * 7) % 60
            text += #"{"id":"7c1e0d7e-\#(String(i, radix: 16))-4d1c-9e35-6a0f3b6f0001","metric":"instance","type":"gauge","unit":"instance","volume":1,"#
            text += #""timestamp":"2026-11-\#(twoDigits(2 + hour / 24))T\#(twoDigits(hour % 24)):\#(twoDigits(minute)):00Z","#
            text += #""project_id":"p\#(i % 37)","user_id":"alice","resource_id":"vm-\#(i % resources)","metadata":{"flavor_name":"\#(flavors[i % 4])"}}"#
            text += "\n"
        }
        let lines = OfflineRating.lines(of: Array(text.utf8))
        // Each frame is taken as it is sealed and dropped, as `tally rate --format json` writes
        // it out and keeps none (its bytes are counted, so they are not optimised away).
        var frames = 0, frameBytes = 0
        let started = threadCPUNanos()
        let result = try OfflineRating(metrics: metrics, pricer: pricer, files: [("bench.jsonl", lines)],
                                       frameSink: { frames += 1; frameBytes += $0.count })
        let seconds = Double(threadCPUNanos() - started) / 1e9
        print("tally rate path (OfflineRating), \(lines.count - 1) samples → \(frames) frames (\(frameBytes / max(frames, 1)) bytes each), "
              + "\(result.problems.count) problems: \(Int(Double(frames) / seconds)) windows per CPU-second")
        try runRateCommand(text: text, windows: frames, examples: examples)
    } catch {
        print("rate benchmark failed: \(error)")
    }
}

/// The command as a user runs it, on the same lines written to a file: `tally rate` (the
/// release binary beside this one) in both formats, its output to /dev/null; the CPU time is
/// the whole process's (wait4: reading and splitting the file, rating, writing the output; the
/// table also keeps a row per frame and aligns them), the peak RSS its own VmHWM.
private func runRateCommand(text: String, windows: Int, examples: URL) throws {
    guard FileManager.default.isExecutableFile(atPath: tallyBinary) else {
        print("tally rate command: \(tallyBinary) not built (swift build -c release --product tally), not measured")
        return
    }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("tally-bench-rate-\(getpid()).jsonl").path
    guard FileManager.default.createFile(atPath: file, contents: Data(text.utf8)) else { throw BenchError("cannot write \(file)") }
    defer { try? FileManager.default.removeItem(atPath: file) }
    for format in ["json", "table"] {
        let run = try spawnAndWait(tallyBinary, ["rate", "--metrics", examples.appendingPathComponent("metrics.yaml").path,
                                                 "--rules", examples.appendingPathComponent("rules.yaml").path,
                                                 "--format", format, file], stdout: "/dev/null")
        guard run.status == 0 else { throw BenchError("tally rate --format \(format) exited \(run.status)") }
        print("tally rate command, --format \(format): " + String(format: "%.2f s CPU = %.0f windows per CPU-second; peak RSS %d MiB",
                                                                 run.cpuSeconds, Double(windows) / run.cpuSeconds, run.maxRSSKiB / 1024))
    }
}

/// `n` (0–99) in two digits: the text `String(format: "%02d")` gave, without its
/// Foundation formatter (a fifth of the bench's process, outside the timed part).
private func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
