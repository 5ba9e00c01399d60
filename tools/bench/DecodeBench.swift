import Foundation
import TallyCore
import TallyWire
import TallyThreads

/// Decoding throughput of the Ceilometer path on one core: realistic records (oslo
/// envelope, 10 samples each, full `resource_metadata` as in the public fixture), a
/// typical metadata plan, one decoder and one symbol table, as in a partition worker.
/// Prints CPU time per sample (this thread's: on the shared machine wall time mostly
/// measures the scheduler), samples/s and MB/s of record bytes. Run it in release.
///
/// Two shapes: polled samples with the full Nova metadata (~1.4 KB per sample, like most
/// of the fixture) and notification-style samples with a short metadata object (~0.6 KB).
/// Throughput is roughly proportional to bytes, so the first is the conservative figure.
func runDecodeBench(records recordCount: Int = 2_000, passes: Int = 100) {
    runDecodeBench(shape: .polled, records: recordCount, passes: passes)
    runDecodeBench(shape: .compact, records: recordCount, passes: passes)
}

private func runDecodeBench(shape: DecodeBenchRecords.Shape, records recordCount: Int, passes: Int) {
    let records = (0..<recordCount).map { DecodeBenchRecords.record(seed: $0, shape: shape) }
    let bytes = records.reduce(0) { $0 + $1.count }
    let plan = try! MetadataPlan(keys: [
        MetadataKeySpec("flavor_name", alternatives: ["flavor_name", "flavor.name", "instance_type"]),
        MetadataKeySpec("flavor_id", alternatives: ["flavor_id", "flavor.id"]),
        MetadataKeySpec("image_ref"),
        MetadataKeySpec("vcpus"),
        MetadataKeySpec("volume_type"),
    ])
    let symbols = SymbolTable()
    let decoder = SampleDecoder(format: .ceilometer, symbols: symbols, plan: plan)
    var samples = 0
    var checksum: Int64 = 0

    func pass() {
        for record in records {
            record.withUnsafeBytes { raw in
                do {
                    try decoder.decode(raw, emit: { sample in
                        samples += 1
                        checksum &+= sample.timestamp.micros &+ Int64(sample.metadata.count)
                    }, reject: { _ in })
                } catch {
                    fatalError("bench record failed to decode: \(error)")
                }
            }
        }
    }

    pass()  // Warm up: fill the symbol table and grow the buffers.
    samples = 0
    let cpu0 = threadCPUNanos()
    for _ in 0..<passes { pass() }
    let seconds = Double(threadCPUNanos() - cpu0) / 1e9
    let totalBytes = Double(bytes * passes)
    print("decode ceilometer, \(shape) samples (10 per record, \(bytes / recordCount) B/record), plan of \(plan.count) keys:")
    print(String(format: "  %d samples in %.3f CPU-s: %.0f ns/sample, %.2f M samples/s, %.0f MB/s, %.0f k records/s",
                 samples, seconds, seconds * 1e9 / Double(samples), Double(samples) / seconds / 1e6,
                 totalBytes / seconds / 1e6, Double(recordCount * passes) / seconds / 1e3))
    print("  symbols: \(symbols.count), checksum \(checksum)")
    // The records repeat from pass to pass, so after the warm-up every metadata object is
    // one the decoder has walked: the figures are the cache's hit path.
    let cache = decoder.metadataCacheCounts
    print("  metadata cache: \(cache.hits) hits, \(cache.misses) misses (the warm-up pass included)")
}

/// Generates Ceilometer records shaped like the fixture's compute samples (polled, or with
/// notification-style short metadata).
enum DecodeBenchRecords {
    enum Shape { case polled, compact }

    static let meters = [("cpu", "cumulative", "ns"), ("memory", "gauge", "MiB"), ("vcpus", "gauge", "vcpu"),
                         ("network.incoming.bytes", "cumulative", "B"), ("network.outgoing.bytes", "cumulative", "B")]
    static let flavors = [("3", "m1.medium", 2, 4096), ("4", "m1.large", 4, 8192), ("5", "m1.xlarge", 8, 16384)]

    static func uuid(_ a: Int, _ b: Int) -> String {
        String(format: "%08x-%04x-4%03x-9%03x-%012x", a & 0xFFFF_FFFF, b & 0xFFFF, a & 0xFFF, b & 0xFFF, a &* 7919 &+ b)
    }

    static func sample(seed: Int, index: Int, shape: Shape) -> String {
        let (name, type, unit) = meters[(seed + index) % meters.count]
        let (flavorID, flavor, vcpus, ram) = flavors[(seed / 3 + index) % flavors.count]
        let instance = uuid(seed % 97, index)
        let volume = name == "cpu" ? "\(212_065_572_540_217_650 &+ seed &* 1_000_003)" : "\(seed * 37 + index)"
        let second = (seed * 10 + index) % 60
        return """
        {"source": "openstack", "counter_name": "\(name)", "counter_type": "\(type)", "counter_unit": "\(unit)", \
        "counter_volume": \(volume), "user_id": "8a0af0b7b503e3ebe2776a538e17d920", "user_name": "alice", \
        "project_id": "6ad0b5f496726c56bb5e2be8bc95ba5d", "project_name": "\\u00e9quipe-donn\\u00e9es", \
        "resource_id": "\(instance)", "timestamp": "2026-11-02T0\(seed % 6):\(10 + index):\(second < 10 ? "0" : "")\(second).046321", \
        "resource_metadata": \(shape == .polled ? polledMetadata(index: index, instance: instance, flavorID: flavorID,
                                                               flavor: flavor, vcpus: vcpus, ram: ram)
                                 : compactMetadata(index: index, flavorID: flavorID, flavor: flavor)), \
        "message_id": "\(uuid(seed, index + 1000))", "monotonic_time": null, \
        "message_signature": "34f91429dbca15ae38abb82c10db11a9d0c1c1b87d08377d171350621fb8e8af"}
        """
    }

    static func polledMetadata(index: Int, instance: String, flavorID: String, flavor: String, vcpus: Int, ram: Int) -> String {
        """
        {"display_name": "aurora-cache-\(index)", "name": "instance-000000\(10 + index)", \
        "instance_id": "\(instance)", "instance_type": "\(flavor)", \
        "host": "72e11d7bcf053ab8a1ea0d004995dd81f37e9e28adb0031082b636f4", "instance_host": "cmp-01", \
        "flavor": {"id": "\(flavorID)", "name": "\(flavor)", "vcpus": \(vcpus), "ram": \(ram), "disk": 80, \
        "ephemeral": 0, "swap": 0, "extra_specs": {}}, "status": "active", "state": "running", "task_state": "", \
        "image": {"id": "f78c3351-ec4f-4593-87ff-263e76621e55"}, "image_ref": "f78c3351-ec4f-4593-87ff-263e76621e55", \
        "image_ref_url": null, "architecture": "x86_64", "os_type": "hvm", "vcpus": \(vcpus), "memory_mb": \(ram), \
        "disk_gb": 80, "ephemeral_gb": 0, "root_gb": 80, "cpu_number": \(vcpus)}
        """
    }

    static func compactMetadata(index: Int, flavorID: String, flavor: String) -> String {
        """
        {"host": "cmp-0\(index % 3)", "flavor_name": "\(flavor)", "flavor_id": "\(flavorID)", "status": "active", \
        "image_ref": "f78c3351-ec4f-4593-87ff-263e76621e55"}
        """
    }

    /// One record value: the notification as a JSON string inside the oslo envelope.
    static func record(seed: Int, shape: Shape) -> [UInt8] {
        let payload = (0..<10).map { sample(seed: seed, index: $0, shape: shape) }.joined(separator: ", ")
        let message = """
        {"message_id": "\(uuid(seed, 77))", "publisher_id": "telemetry.publisher.ctl-01", \
        "event_type": "metering", "priority": "SAMPLE", "payload": [\(payload)], \
        "timestamp": "2026-11-02 03:42:05.047924", "_context": {}}
        """
        var escaped = ""
        for scalar in message.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return Array("{\"oslo.version\": \"2.0\", \"oslo.message\": \"\(escaped)\"}".utf8)
    }
}
