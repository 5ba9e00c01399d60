import Foundation
import TallyAudit
import TallyCore
import TallyDemo
import TallyKafka
import TallyRuntime
import Testing
@testable import TallyRater

/// Raters in one consumer group over an input keyed by resource (docs/SCALE.md): the
/// end-to-end fixture, simulated samples produced as Ceilometer records of one resource
/// each, keyed by that resource, and helpers to run `tally run --group` as processes with
/// a state directory each.
final class GroupRaterSetup {
    let fixture: EndToEndFixture
    let samples: [UsageSimulator.Sample]
    let records: [[UInt8]]
    let keys: [[UInt8]]
    /// The indices in `samples` of each record's samples.
    let sampleRanges: [Range<Int>]
    let start: EventTime
    let hours: Int

    init(group: String, hours: Int = 30, projects: Int = 4) throws {
        fixture = try EndToEndFixture(extraConfig: """
        engine: {batch_samples: 500, batch_ms: 100, metrics_listen: "127.0.0.1:0"}
        rater: {group: true, group_id: \(group), max_poll_interval_ms: 12000}
        """)
        self.hours = hours
        start = EventTime(micros: (WallClock.now().micros / 3_600_000_000 - Int64(hours) - 2) * 3_600_000_000)
        samples = UsageSimulator(seed: 1313, start: start, hours: hours, projects: projects, instancesPerProject: 4,
                                 volumesPerProject: 2).samples()
        // Each record holds a run of consecutive samples of one resource (the simulator's
        // samples are in time order), keyed by that resource: every sample of a resource
        // lands on one partition, in time order, as `tally route` or a keyed producer gives.
        var records: [[UInt8]] = [], keys: [[UInt8]] = [], ranges: [Range<Int>] = []
        var run: [UsageSimulator.Sample] = []
        var consumed = 0
        func flush() {
            guard let first = run.first else { return }
            records.append(CeilometerEncoder.records(run, perRecord: run.count, seed: UInt64(records.count + 1))[0])
            keys.append(Array(first.resource.utf8))
            ranges.append(consumed..<consumed + run.count)
            consumed += run.count
            run.removeAll()
        }
        for s in samples {
            if let last = run.last, last.resource != s.resource || run.count == 10 { flush() }
            run.append(s)
        }
        flush()
        self.records = records
        self.keys = keys
        sampleRanges = ranges
    }

    func produce(_ range: Range<Int>) throws {
        try TopicIO.produce(Array(records[range]), keys: Array(keys[range]), topic: "metering.sample",
                            bootstrapServers: fixture.broker.bootstrapServers)
    }

    /// One sample stamped now on each input partition, for a resource of its own (not in
    /// `samples`): each task's clock passes the simulated data's last windows, which then
    /// close, as they would with live input (its window stays open and is not compared).
    func produceClosers(partitions: Int32 = 3) throws {
        let producer = try KafkaProducer(config: KafkaConfig(bootstrapServers: fixture.broker.bootstrapServers))
        let handle = try producer.topic("metering.sample")
        for p in 0..<partitions {
            let sample = UsageSimulator.Sample(id: "closer-\(p)-\(UUID().uuidString)", metric: "vcpus", type: "gauge", unit: "vcpu",
                                               volume: "1", timestamp: WallClock.now(), project: "closer", user: "closer",
                                               resource: "closer-\(p)", metadata: [])
            let record = CeilometerEncoder.records([sample], perRecord: 1, seed: UInt64(900 + p))[0]
            try producer.produce(to: handle, partition: p, key: Array(sample.resource.utf8), value: record, token: UInt64(p))
        }
        try producer.flush(timeoutMs: 30_000) { report in if let error = report.error { Issue.record("closer: \(error)") } }
    }

    /// A configuration file for rater `name`, with its own state directory (`empty`: a new one).
    func config(for name: String, stateSuffix: String = "") throws -> String {
        let path = fixture.directory.appendingPathComponent("tally-\(name)\(stateSuffix).yaml").path
        let text = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
            .replacingOccurrences(of: "  path: state\n", with: "  path: state-\(name)\(stateSuffix)\n")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func log(_ name: String) -> URL { fixture.directory.appendingPathComponent("rater-\(name).log") }

    func startRater(_ name: String, stateSuffix: String = "") throws -> Process {
        try TallyProcess.start(["run", "--config", try config(for: name, stateSuffix: stateSuffix), "--instance", name, "--progress"],
                               log: log(name))
    }

    static func stop(_ process: Process) -> Int32 {
        if process.isRunning { process.interrupt() }
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func text(_ log: URL) -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The partition count of the last "owns N partition(s)" line of a rater's log.
    static func lastOwned(_ log: URL) -> Int? {
        let text = text(log)
        guard let line = text.split(separator: "\n").last(where: { $0.contains(" partition(s)") && $0.contains("owns ") }),
              let owns = line.range(of: "owns ") else { return nil }
        return Int(line[owns.upperBound...].prefix { $0.isNumber })
    }

    /// Waits until every rater named owns at least one partition and together all `total`
    /// (which one gets two is the assignor's choice); false on timeout.
    func waitForSplit(_ names: [String], total: Int = 3, seconds: TimeInterval = 120) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        func settled() -> Bool {
            let owned = names.map { Self.lastOwned(log($0)) ?? 0 }
            return owned.allSatisfy { $0 > 0 } && owned.reduce(0, +) == total
        }
        while !settled() && Date() < deadline { usleep(200_000) }
        return settled()
    }

    /// Every rater's log, for failure messages.
    func logs(_ names: [String]) -> String { names.map { "--- \($0):\n" + Self.text(log($0)) }.joined(separator: "\n") }

    /// The largest changelog record count of the "restored:" lines of a rater's log.
    static func mostRestored(_ log: URL) -> Int {
        text(log).split(separator: "\n").compactMap { line -> Int? in
            guard let r = line.range(of: "restored: ") else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }.max() ?? 0
    }

    /// The frame count of a rater's last progress line ("tally: N records, … M frames").
    static func framesInLastProgress(_ log: URL) -> Int {
        guard let line = text(log).split(separator: "\n").last(where: { $0.contains("tally: ") && $0.hasSuffix(" frames") }) else {
            return 0
        }
        return Int(line.split(separator: " ").dropLast().last ?? "") ?? 0
    }

    /// Waits until the raters named own `counts` partitions each (in order); false on timeout.
    func waitForOwnership(_ counts: [(String, Int)], seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        func settled() -> Bool { counts.allSatisfy { Self.lastOwned(log($0.0)) == $0.1 } }
        while !settled() && Date() < deadline { usleep(200_000) }
        return settled()
    }

    /// The frames read so far, asked again until they match the independent computation or
    /// `seconds` pass; returns the ledger and what is still wrong.
    func waitForExactFrames(seconds: TimeInterval) throws -> (FrameLedger, [String]) {
        try fixture.waitForExactFrames(ExpectedWindows(samples), seconds: seconds)
    }

    /// Frames read from a frames partition other than the input partition of their resource
    /// (group mode puts task P's frames on frames partition P).
    func framesOffTheirPartition() throws -> [String] {
        var partitionOfKey: [[UInt8]: Int32] = [:]
        for r in try TopicIO.readAll(topic: "metering.sample", bootstrapServers: fixture.broker.bootstrapServers) {
            if let key = r.key { partitionOfKey[key] = r.partition }
        }
        var wrong: [String] = []
        for r in try TopicIO.readAll(topic: "tally.frames", bootstrapServers: fixture.broker.bootstrapServers) {
            guard let object = try JSONSerialization.jsonObject(with: Data(r.value)) as? [String: Any],
                  let resource = object["resource_id"] as? String ?? object["resource"] as? String else {
                wrong.append("unreadable frame at partition \(r.partition) offset \(r.offset)")
                continue
            }
            if resource.hasPrefix("closer-") { continue }
            if partitionOfKey[Array(resource.utf8)] != r.partition {
                wrong.append("frame of \(resource) on frames partition \(r.partition), its input partition is "
                    + "\(partitionOfKey[Array(resource.utf8)].map(String.init) ?? "none")")
            }
        }
        return wrong
    }

    func verify() throws -> (status: Int32, output: String) {
        try TallyProcess.run(["verify", "--config", fixture.configPath, "--from", Timestamps.iso8601(start),
                              "--to", Timestamps.iso8601(start + TimeSpan.hours(Int64(hours)))], timeout: 600)
    }
}
