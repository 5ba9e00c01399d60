import Foundation
import Glibc
import TallyCore
import TallyDemo
import TallyKafka
import TallyRuntime
import TallyTestSupport

/// The issue-2 benchmark: preload Ceilometer records (10 samples each) into a topic
/// on the pinned noida-db broker, then, in the same run, time `tally run
/// --until-drained` (its own process: first record consumed → last frame
/// acknowledged, plus start-up) against `kcat -C -e` reading the same topic to
/// /dev/null, and report their ratio, the rater's peak RSS and the LMDB size.
///
/// `kafkaProperties` go to the rater's `kafka.properties` (librdkafka settings, e.g. to
/// compare fetch settings or turn on `debug`); `replay: false` leaves the replay row out.
func runEndToEndBench(records recordCount: Int, tallyBinary: String, durable: Bool = true, batchSamples: Int = 200_000,
                      kafkaProperties: [(String, String)] = [], replay runReplay: Bool = true) throws {
    let broker = try BrokerProcess.start()
    defer { broker.stop() }
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("tally-bench-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    // `--keep` leaves the work directory (config, tally's output with its librdkafka log) for a look afterwards.
    let keep = CommandLine.arguments.contains("--keep")
    defer { if keep { print("kept \(work.path)") } else { try? FileManager.default.removeItem(at: work) } }

    // About 2,200 samples per 10-minute poll; enough polls for the requested count.
    let perPoll = 50 * 10 * 4 + 50 * 4
    let hours = max(1, (recordCount * 10 / perPoll + 5) / 6)
    let start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - Int64(hours) - 2) * 3_600_000_000)
    let simulator = UsageSimulator(seed: 5, start: start, hours: hours, projects: 50, instancesPerProject: 10, volumesPerProject: 4)
    let samples = Array(simulator.samples().prefix(recordCount * 10))
    let records = CeilometerEncoder.records(samples, perRecord: 10)
    let bytes = records.reduce(0) { $0 + $1.count }
    let partitions: Int32 = 6
    let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers))
    _ = try admin.createTopic("metering.sample", partitions: Int(partitions))
    var t = WallClock.monotonicMillis()
    try TopicIO.produce(records, topic: "metering.sample", bootstrapServers: broker.bootstrapServers, partitions: partitions)
    print("preloaded \(records.count) records, \(samples.count) samples, \(bytes / 1_048_576) MiB in \(WallClock.monotonicMillis() - t) ms")

    let propertiesYAML = kafkaProperties.map { "\"\($0.0)\": \"\($0.1)\"" }.joined(separator: ", ")
    try DemoFiles.metrics.write(to: work.appendingPathComponent("metrics.yaml"), atomically: true, encoding: .utf8)
    try DemoFiles.rules.write(to: work.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
    try """
    kafka:
      bootstrap: \(broker.bootstrapServers)
      inputs: [{topic: metering.sample, format: ceilometer}]
      frames_partitions: 6
      properties: {\(propertiesYAML)}
    state: {path: state, durable: \(durable)}
    metrics: metrics.yaml
    rules: rules.yaml
    engine: {batch_samples: \(batchSamples), batch_ms: 2000}
    """.write(to: work.appendingPathComponent("tally.yaml"), atomically: true, encoding: .utf8)

    // Each phase starts on a quiet broker: noida-db's `autosave` thread rewrites its whole
    // state file (about 1.4 GB of JSON for this load) after any change, for seconds, and a
    // phase should not pay for the one before it. Its CPU is reported apart per phase.
    let autosave = { ProcessCPU.threadSeconds(broker.brokerPID, named: "autosave") }
    var quietWaits = [ProcessCPU.waitUntilQuiet(broker.brokerPID)]
    // kcat first, so both read a topic the broker has already served once.
    var brokerCPU = ProcessCPU.treeSeconds(broker.brokerPID)
    var autosaveCPU = autosave()
    t = WallClock.monotonicMillis()
    let kcat = try spawnAndWait("/usr/bin/kcat", ["-C", "-e", "-q", "-X", "receive.message.max.bytes=1073741824", "-b", broker.bootstrapServers, "-t", "metering.sample", "-o", "beginning"],
                                stdout: "/dev/null")  // same fetch-size allowance as the rater (noida-db exceeds fetch.max.bytes)
    let kcatMillis = WallClock.monotonicMillis() - t
    let brokerCPUForKcat = ProcessCPU.treeSeconds(broker.brokerPID) - brokerCPU
    let autosaveForKcat = autosave() - autosaveCPU
    guard kcat.status == 0 else { throw BenchError("kcat exited \(kcat.status)") }

    quietWaits.append(ProcessCPU.waitUntilQuiet(broker.brokerPID))
    brokerCPU = ProcessCPU.treeSeconds(broker.brokerPID)
    autosaveCPU = autosave()
    t = WallClock.monotonicMillis()
    let tally = try spawnAndWait(tallyBinary, ["run", "--config", work.appendingPathComponent("tally.yaml").path, "--until-drained"],
                                 stdout: work.appendingPathComponent("tally.out").path)
    let tallyMillis = WallClock.monotonicMillis() - t
    let brokerCPUForTally = ProcessCPU.treeSeconds(broker.brokerPID) - brokerCPU
    let autosaveForTally = autosave() - autosaveCPU
    let output = (try? String(contentsOf: work.appendingPathComponent("tally.out"), encoding: .utf8)) ?? ""
    guard tally.status == 0 else { throw BenchError("tally exited \(tally.status): \(output)") }
    let frames = output.split(separator: "\n").first { $0.hasPrefix("frames_emitted ") }.map { String($0.dropFirst(15)) } ?? "?"
    let lmdb = directorySize(work.appendingPathComponent("state").path)

    // Replay of the same range, as its own process, while nothing else runs.
    let rangeEnd = start + TimeSpan.hours(Int64(hours) + 1)
    if runReplay { quietWaits.append(ProcessCPU.waitUntilQuiet(broker.brokerPID)) }
    brokerCPU = ProcessCPU.treeSeconds(broker.brokerPID)
    autosaveCPU = autosave()
    t = WallClock.monotonicMillis()
    let replay = runReplay ? try spawnAndWait(tallyBinary, ["replay", "--config", work.appendingPathComponent("tally.yaml").path,
                                                            "--from", Timestamps.iso8601(start), "--to", Timestamps.iso8601(rangeEnd),
                                                            "--format", "json"], stdout: work.appendingPathComponent("replay.out").path) : nil
    let replayMillis = WallClock.monotonicMillis() - t
    let brokerCPUForReplay = ProcessCPU.treeSeconds(broker.brokerPID) - brokerCPU
    let autosaveForReplay = autosave() - autosaveCPU
    let replayOutput = (try? String(contentsOf: work.appendingPathComponent("replay.out"), encoding: .utf8)) ?? ""
    if let replay, replay.status != 0 { throw BenchError("replay exited \(replay.status): \(replayOutput.suffix(2000))") }

    let tallyRate = Double(samples.count) / (Double(tallyMillis) / 1000)
    let kcatRate = Double(samples.count) / (Double(kcatMillis) / 1000)
    print("end to end (tally run --until-drained, release, \(durable ? "durable" : "no-sync") LMDB commits, batches of \(batchSamples) samples):")
    print(String(format: "  tally: %d samples in %.2f s = %.0f samples/s (%.0f records/s), %@ frames (%.0f frames/s)",
                 samples.count, Double(tallyMillis) / 1000, tallyRate, tallyRate / 10, frames,
                 (Double(frames) ?? 0) / (Double(tallyMillis) / 1000)))
    print(String(format: "  kcat -C -e to /dev/null: %.2f s = %.0f samples/s", Double(kcatMillis) / 1000, kcatRate))
    print(String(format: "  tally / kcat: %.2f", tallyRate / kcatRate))
    print("  tally " + (output.split(separator: "\n").first { $0.hasPrefix("timing_ms") } ?? ""))
    // CPU per thread name: the rating thread apart from librdkafka's (rdk:broker…) threads.
    print("  tally " + (output.split(separator: "\n").first { $0.hasPrefix("thread_cpu_ms") } ?? ""))
    let replayRate = Double(samples.count) / (Double(replayMillis) / 1000)
    if let replay {
        print(String(format: "  tally replay of the same range (reads the topics, re-rates in scratch state, diffs): %.2f s = %.0f samples/s = %.0f%% of live ingest; peak RSS %d MiB",
                     Double(replayMillis) / 1000, replayRate, 100 * replayRate / tallyRate, replay.maxRSSKiB / 1024))
    }
    print("  tally peak RSS: \(tally.maxRSSKiB / 1024) MiB; LMDB on disk: \(lmdb / 1_048_576) MiB")
    // CPU time per process: what each side costs, whatever else the 2 cores were doing.
    let perCPU = { (seconds: Double) in seconds > 0 ? Double(samples.count) / seconds : 0 }
    print("CPU time (user + system, per process; the broker's is its process tree's during each phase, of which its")
    print("autosave thread's: noida-db rewrites its whole state file while anything changed, i.e. while frames are written;")
    print("each phase started on a quiet broker, after waiting " + quietWaits.map { String(format: "%.0f s", $0) }.joined(separator: ", ") + "):")
    print(String(format: "  kcat: %.2f s (%.0f samples per CPU-second); broker while serving it: %.2f s (autosave %.2f s)",
                 kcat.cpuSeconds, perCPU(kcat.cpuSeconds), brokerCPUForKcat, autosaveForKcat))
    print(String(format: "  tally run: %.2f s (%.0f samples per CPU-second); broker while serving it: %.2f s (autosave %.2f s)",
                 tally.cpuSeconds, perCPU(tally.cpuSeconds), brokerCPUForTally, autosaveForTally))
    if let replay {
        print(String(format: "  tally replay: %.2f s (%.0f samples per CPU-second); broker while serving it: %.2f s (autosave %.2f s)",
                     replay.cpuSeconds, perCPU(replay.cpuSeconds), brokerCPUForReplay, autosaveForReplay))
        print(String(format: "  replay / live per CPU-second: %.0f%%", 100 * tally.cpuSeconds / max(replay.cpuSeconds, 0.001)))
    }
    print(String(format: "  tally / kcat per CPU-second: %.2f", kcat.cpuSeconds / max(tally.cpuSeconds, 0.001)))
    print(String(format: "  tally / kcat with the broker's share (client + broker CPU): %.2f",
                 (kcat.cpuSeconds + brokerCPUForKcat) / max(tally.cpuSeconds + brokerCPUForTally, 0.001)))
    print(String(format: "  the same without the broker's autosave: %.2f",
                 (kcat.cpuSeconds + brokerCPUForKcat - autosaveForKcat)
                    / max(tally.cpuSeconds + brokerCPUForTally - autosaveForTally, 0.001)))
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Spawns a program with stdout (and stderr) to `stdout`, waits, and returns its exit
/// status, its own peak RSS and its CPU time. The peak is the last VmHWM read from
/// /proc/PID/status while it runs (polled every 20 ms; a rise in its last 20 ms is
/// missed), not wait4's ru_maxrss: posix_spawn's child runs in this process's memory
/// until it execs, and Linux keeps that memory's high-water mark in the child's
/// ru_maxrss, so every child would report at least the bench's own peak (about 1 GiB
/// once the e2e records are built). The CPU time is wait4's (user + system).
func spawnAndWait(_ path: String, _ args: [String], stdout: String) throws -> ChildRun {
    let pid = try spawn(path, args, stdout: stdout)
    var status: Int32 = 0
    var peak = 0
    var usage = rusage()
    while wait4(pid, &status, WNOHANG, &usage) == 0 {
        if let hwm = highWaterRSSKiB(pid) { peak = max(peak, hwm) }
        usleep(20_000)
    }
    let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let seconds = { (t: timeval) in Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
    return ChildRun(status: exit, maxRSSKiB: peak, cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

/// VmHWM of a running process, in KiB (nil once it has exited).
func highWaterRSSKiB(_ pid: pid_t) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
    return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
}

func directorySize(_ path: String) -> Int {
    guard let files = FileManager.default.enumerator(atPath: path) else { return 0 }
    var total = 0
    for case let file as String in files {
        total += (try? FileManager.default.attributesOfItem(atPath: path + "/" + file)[.size] as? Int) ?? 0
    }
    return total
}
