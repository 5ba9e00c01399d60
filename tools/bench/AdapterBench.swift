import Foundation
import TallyKafka
import TallyLMDB
import TallyTestSupport

/// Adapter throughput on this machine: Kafka produce/consume against a real noida-db, and
/// LMDB sequential puts. Prints figures; asserts nothing.
func runAdapterBench(records: Int = 1_000_000, valueSize: Int = 200, partitions: Int32 = 4) {
    do {
        let broker = try BrokerProcess.start()
        defer { broker.stop() }
        let config = broker.clientConfig
        try KafkaAdmin(config: config).createTopic("bench", partitions: Int(partitions))

        let produceSeconds = try benchProduce(config: config, records: records, valueSize: valueSize, partitions: partitions)
        printRate("kafka produce \(records) × \(valueSize) B (explicit partitions, acked)", records, produceSeconds)
        let (consumed, consumeSeconds) = try benchConsume(config: config, partitions: partitions)
        printRate("kafka consume \(consumed) (batch queue, to EOF)", consumed, consumeSeconds)
    } catch {
        print("kafka bench failed: \(error)")
    }
    do {
        for append in [true, false] {
            let seconds = try benchLMDBSequentialPuts(count: records, append: append)
            printRate("lmdb sequential puts, 10k per txn, no-sync\(append ? ", MDB_APPEND" : "")", records, seconds)
        }
    } catch {
        print("lmdb bench failed: \(error)")
    }
}

private func printRate(_ label: String, _ count: Int, _ seconds: Double) {
    print("\(label): \(String(format: "%.2f", seconds)) s, \(Int(Double(count) / seconds)) records/s")
    fflush(stdout)
}

private func benchProduce(config: KafkaConfig, records: Int, valueSize: Int, partitions: Int32) throws -> Double {
    let producer = try KafkaProducer(config: config)
    let topic = try producer.topic("bench")
    var value = [UInt8](repeating: UInt8(ascii: "x"), count: valueSize)
    var acked = 0
    var failed = 0
    let onDelivery: (KafkaDeliveryReport) -> Void = { report in
        if report.error == nil { acked += 1 } else { failed += 1 }
    }
    let start = Date()
    for i in 0..<records {
        withUnsafeBytes(of: UInt64(i)) { value.replaceSubrange(0..<8, with: $0) }
        while true {
            do {
                try producer.produce(to: topic, partition: Int32(i) % partitions, key: nil, value: value, token: UInt64(i))
                break
            } catch let error as KafkaError where error.isQueueFull {
                producer.poll(timeoutMs: 5, onDelivery)
            }
        }
        if i % 1024 == 0 { producer.poll(timeoutMs: 0, onDelivery) }
    }
    try producer.flush(timeoutMs: 120_000, onDelivery)
    let seconds = Date().timeIntervalSince(start)
    guard acked == records, failed == 0 else {
        throw KafkaError(code: -195, message: "\(acked) acked, \(failed) failed of \(records)", context: "bench produce")
    }
    return seconds
}

private func benchConsume(config: KafkaConfig, partitions: Int32) throws -> (Int, Double) {
    let consumer = try KafkaConsumer(config: config, groupID: "bench", reportEndOfPartition: true)
    defer { consumer.close() }
    try consumer.assign((0..<partitions).map { ("bench", $0, .beginning) })
    let batch = KafkaRecordBatch(capacity: 10_000)
    var drained = Set<Int32>()
    var count = 0
    var checksum: UInt64 = 0
    let start = Date()
    let deadline = start.addingTimeInterval(300)
    while drained.count < partitions {
        guard Date() < deadline else {
            throw KafkaError(code: -185, message: "\(count) records, partitions \(drained.sorted()) drained",
                             context: "bench consume within 300 s")
        }
        try consumer.poll(into: batch, timeoutMs: 500)
        if let error = batch.errors.first { throw error }
        for record in batch {
            count += 1
            checksum &+= UInt64(record.value.count)  // touch the payload so the loop is not elided
        }
        for end in batch.partitionEnds { drained.insert(end.partition) }
    }
    let seconds = Date().timeIntervalSince(start)
    batch.release()
    _ = checksum
    return (count, seconds)
}

private func benchLMDBSequentialPuts(count: Int, append: Bool) throws -> Double {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-bench-\(UUID())").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let env = try LMDBEnvironment(path: path, mapSize: 1 << 30, flags: .noSync)
    let db = try env.openDatabase(named: "bench")
    var value = [UInt8](repeating: 7, count: 48)
    let start = Date()
    var next = 0
    while next < count {
        let txn = try env.beginWrite()
        let end = min(next + 10_000, count)
        for n in next..<end {
            var key = UInt64(n).bigEndian
            value[0] = UInt8(truncatingIfNeeded: n)
            try withUnsafeBytes(of: &key) { k in
                try value.withUnsafeBytes { v in try txn.put(db, key: k, value: v, options: append ? .append : []) }
            }
        }
        try txn.commit()
        next = end
    }
    let seconds = Date().timeIntervalSince(start)
    let entries = try env.read { txn in try txn.statistics(db).entries }
    precondition(entries == count, "LMDB bench stored \(entries) of \(count)")
    return seconds
}
