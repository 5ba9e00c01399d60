import Foundation
import TallyCore
import TallyDemo
import TallySeededRandom
import TallyEngine
import TallyRater
import TallyRuntime
import TallyWire

/// Memory with many open windows (issue 10): runs `openWindowsChild` in a process of
/// its own, so that its peak RSS (wait4's rusage) counts the engine only, not the
/// other benchmarks of this run.
func runOpenWindowsBench(windows: Int, benchBinary: String) throws {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("tally-open-windows-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let out = work.appendingPathComponent("child.out").path
    let t = WallClock.monotonicMillis()
    let child = try spawnAndWait(benchBinary, ["open-windows-child", "--windows", "\(windows)", work.path], stdout: out)
    let seconds = Double(WallClock.monotonicMillis() - t) / 1000
    let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    guard child.status == 0 else { throw BenchError("open-windows child exited \(child.status): \(text.suffix(2000))") }
    print(text, terminator: "")
    print(String(format: "  memory with %d open windows: peak RSS %d MiB (target ≤ 1024 MiB), %.1f s", windows,
                 child.maxRSSKiB / 1024, seconds))
}

/// The child: folds `windows` samples of distinct volumes (UUID resource ids, ~0.6 KB
/// Ceilometer samples, 10 per record) stamped in the previous hour, into a StreamRater
/// on a no-sync LMDB store, committing every 10,000 records as `tally run` would. The
/// closing clock stays inside that hour, so every window stays open. Records are
/// encoded as they are folded, so the input itself does not sit in memory.
func runOpenWindowsChild(windows: Int, dir: String) throws {
    try FileManager.default.createDirectory(atPath: dir + "/state", withIntermediateDirectories: true)
    let store = try LMDBStateStore(path: dir + "/state", mapSizeMiB: 16_384, durable: false)
    let rater = try StreamRater(settings: EngineSettings(inputs: [.init(topic: "metering.sample", format: .ceilometer)]),
                                metrics: try MetricsConfigLoader.load(yaml: DemoFiles.metrics),
                                pricer: RuleBookPricer(rater: Rater(book: try RulesetFile.load(yaml: DemoFiles.rules)),
                                                       version: nil, hash: nil),
                                store: store)
    let wallNow = WallClock.now()
    _ = try rater.restore(wallNow: wallNow)
    let hour = (wallNow.micros / 3_600_000_000 - 1) * 3_600_000_000
    var rng = SplitMix64(seed: 17)
    var frames = 0
    let perRecord = 10
    let recordCount = (windows + perRecord - 1) / perRecord
    let t0 = WallClock.monotonicMillis()
    for r in 0..<recordCount {
        let samples = (0..<min(perRecord, windows - r * perRecord)).map { j -> UsageSimulator.Sample in
            let i = r * perRecord + j
            return UsageSimulator.Sample(id: rng.uuid(), metric: "volume.size", type: "gauge", unit: "GiB", volume: "\(10 + i % 90)",
                                         timestamp: EventTime(micros: hour + Int64(i % 3_000) * 1_000_000),
                                         project: "project-\(i % 2_000)", user: "user-\(i % 2_000)", resource: rng.uuid(),
                                         metadata: [("volume_type", i % 3 == 0 ? "\"ssd\"" : "\"hdd\""), ("status", "\"in-use\"")])
        }
        let record = CeilometerEncoder.record(samples[...], messageID: rng.uuid())
        record.withUnsafeBytes { bytes in
            rater.fold(InputRecord(topic: "metering.sample", partition: 0, offset: Int64(r), key: nil, value: bytes), wallNow: wallNow)
        }
        if r % 10_000 == 9_999 || r == recordCount - 1 {
            let out = try rater.commitBatch(wallNow: wallNow, endOfInput: false)
            frames += out.count
            for m in out { rater.acknowledge(m.token) }
        }
    }
    let seconds = Double(WallClock.monotonicMillis() - t0) / 1000
    print("  folded \(windows) samples into \(rater.openWindows) open windows in \(String(format: "%.1f", seconds)) s; "
          + "\(frames) messages emitted (0 expected: nothing closes); dedupe keys in memory: \(rater.dedupeKeys) "
          + "(sample ids and content keys, kept for the dedupe horizon, then expired with their batch); "
          + "LMDB \(directorySize(dir + "/state") / 1_048_576) MiB")
}
