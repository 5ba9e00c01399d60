import Foundation
import TallyCore
import TallyDemo
import TallyEngine
import TallyRater
import TallyRuntime
import TallyWire
import TallyThreads

/// The engine alone, without a broker: the same Ceilometer records the end-to-end
/// benchmark uses, folded, closed, priced and committed to LMDB (no-sync) by a
/// StreamRater in this process. Separates the engine's cost from Kafka's.
///
/// `passes`: the same records rated that many times, each pass by a new rater on a new store,
/// so that a profile (`perf record`) of a run is mostly rating, not generating the records.
func runFoldBench(records recordCount: Int, passes: Int = 1) throws {
    let hours = max(1, (recordCount * 10 / 2200 + 5) / 6)
    let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - Int64(hours) - 2) * 3_600_000_000)
    let simulator = UsageSimulator(seed: 5, start: start, hours: hours, projects: 50, instancesPerProject: 10, volumesPerProject: 4)
    let samples = Array(simulator.samples().prefix(recordCount * 10))
    let records = CeilometerEncoder.records(samples, perRecord: 10)
    for pass in 1...max(1, passes) {
        if passes > 1 { print("pass \(pass) of \(passes):") }
        try foldPass(samples: samples.count, records: records)
    }
}

/// One pass of the fold benchmark over `records` (Ceilometer records of `samples` samples).
private func foldPass(samples sampleCount: Int, records: [[UInt8]]) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tally-fold-bench-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try LMDBStateStore(path: dir, mapSizeMiB: 8192, durable: false)
    let book = try RulesetFile.load(yaml: DemoFiles.rules)
    let rater = try StreamRater(settings: EngineSettings(inputs: [.init(topic: "metering.sample", format: .ceilometer)]),
                                metrics: try MetricsConfigLoader.load(yaml: DemoFiles.metrics),
                                pricer: RuleBookPricer(rater: Rater(book: book), version: nil, hash: nil), store: store)
    _ = try rater.restore(wallNow: WallClock.now())
    let wallNow = WallClock.now()
    var frames = 0
    let t0 = WallClock.monotonicMillis()
    let cpu0 = threadCPUNanos()
    var foldMillis: Int64 = 0
    for (i, record) in records.enumerated() {
        let f0 = WallClock.monotonicMillis()
        record.withUnsafeBytes { bytes in
            rater.fold(InputRecord(topic: "metering.sample", partition: 0, offset: Int64(i), key: nil, value: bytes), wallNow: wallNow)
        }
        foldMillis += WallClock.monotonicMillis() - f0
        if i % 5000 == 4999 || i == records.count - 1 {
            let out = try rater.commitBatch(wallNow: wallNow, endOfInput: i == records.count - 1)
            frames += out.count
            for m in out { rater.acknowledge(m.token) }
        }
    }
    let total = Double(WallClock.monotonicMillis() - t0) / 1000
    let cpu = Double(threadCPUNanos() - cpu0) / 1e9
    print(String(format: "engine alone (decode, fold, close, price, frames, LMDB no-sync): %d samples in %.2f s = %.0f samples/s; %d frames",
                 sampleCount, total, Double(sampleCount) / total, frames))
    // The machine is shared: CPU time is the figure that compares across runs.
    print(String(format: "  in CPU time: %.2f s = %.0f samples per CPU-second", cpu, Double(sampleCount) / cpu))
    let phases = rater.phaseNanos.map { "\($0.key)=\($0.value / 1_000_000)" }.sorted().joined(separator: " ")
    print("  phases (ms): decode+fold=\(foldMillis) \(phases)")
    // The close and store phases in the thread's CPU time; decode+fold is the rest of the pass.
    let closeCPU = rater.phaseCPUNanos["close"] ?? 0, storeCPU = rater.phaseCPUNanos["store"] ?? 0
    let foldCPU = (cpu * 1e9 - Double(closeCPU + storeCPU)) / 1e6
    print(String(format: "  phases in CPU time (ms): decode+fold=%.0f close=%d store=%d; per window: close %.2f µs, store %.2f µs",
                 foldCPU, closeCPU / 1_000_000, storeCPU / 1_000_000,
                 Double(closeCPU) / 1000 / Double(max(frames, 1)), Double(storeCPU) / 1000 / Double(max(frames, 1))))
    // Closing in the engine: everything the close phase does (queue, previous points,
    // pricing, frame, hashes, outbox), per frame emitted.
    if frames > 0, let close = rater.phaseNanos["close"] {
        print(String(format: "closing in the engine: %.1f µs per window (close phase ÷ frames)", Double(close) / 1000 / Double(frames)))
    }
}
