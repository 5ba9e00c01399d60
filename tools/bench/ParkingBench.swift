import Foundation
import Glibc
import TallyKafka
import TallyTestSupport

/// What parking partitions read to their end saves and costs on noida-db
/// (EndOfPartitionParking.swift), against one broker in one run:
/// - the broker's CPU (its process tree, from /proc) while `kcat -C` sits at the end of 4
///   partitions (librdkafka unparked: one empty fetch after another), then while a
///   `KafkaConsumer` does (parked: one ListOffsets per `fetch.wait.max.ms`), and the
///   consumer's own CPU (this process: librdkafka's threads and the poll loop);
/// - how long a record produced to a parked partition takes to reach the consumer, after
///   its producer's ack and from its produce call, at random phases of the check interval.
/// Prints figures; asserts nothing.
func runParkingBench(idleSeconds: Int, samples: Int = 40) throws {
    let broker = try BrokerProcess.start()
    defer { broker.stop() }
    let config = broker.clientConfig
    try KafkaAdmin(config: config).createTopic("parked", partitions: 4)
    let interval = config["fetch.wait.max.ms"] ?? KafkaConsumer.defaults["fetch.wait.max.ms"] ?? "?"

    let kcat = try spawn("/usr/bin/kcat", ["-C", "-q", "-b", broker.bootstrapServers, "-t", "parked", "-o", "end"], stdout: "/dev/null")
    Thread.sleep(forTimeInterval: 2)  // connected and at the end
    var brokerBefore = ProcessCPU.treeSeconds(broker.brokerPID)
    Thread.sleep(forTimeInterval: Double(idleSeconds))
    let brokerForKcat = ProcessCPU.treeSeconds(broker.brokerPID) - brokerBefore
    kill(kcat, SIGTERM)
    var status: Int32 = 0
    waitpid(kcat, &status, 0)
    print(String(format: "broker CPU while kcat -C sits at the end of 4 partitions: %.2f s in %d s", brokerForKcat, idleSeconds)
        + " (load \(loadAverage()))")

    let consumer = try KafkaConsumer(config: config, groupID: "bench-parking")
    defer { consumer.close() }
    try consumer.assign((0..<4).map { ("parked", Int32($0), KafkaOffset.end) })
    let batch = KafkaRecordBatch(capacity: 100)
    let parkDeadline = Date().addingTimeInterval(30)
    while consumer.parkedPartitions.count < 4 && Date() < parkDeadline { try consumer.poll(into: batch, timeoutMs: 100) }
    guard consumer.parkedPartitions.count == 4 else { throw BenchError("the consumer did not park its 4 partitions") }
    brokerBefore = ProcessCPU.treeSeconds(broker.brokerPID)
    let ownBefore = ownCPUSeconds()
    let idleEnd = Date().addingTimeInterval(Double(idleSeconds))
    while Date() < idleEnd { try consumer.poll(into: batch, timeoutMs: 100) }
    print(String(format: "broker CPU while a parked KafkaConsumer sits there: %.2f s in %d s; the consumer's own %.2f s",
                 ProcessCPU.treeSeconds(broker.brokerPID) - brokerBefore, idleSeconds, ownCPUSeconds() - ownBefore)
        + " (load \(loadAverage()))")

    let producer = try KafkaProducer(config: config)
    let topic = try producer.topic("parked")
    var afterAck: [Double] = [], afterProduce: [Double] = []
    for i in 0..<samples {
        usleep(UInt32.random(in: 0...300_000))  // a random phase against the check interval
        let produced = Date()
        try producer.produce(to: topic, partition: Int32(i % 4), key: nil, value: Array("r\(i)".utf8), token: UInt64(i))
        try producer.flush(timeoutMs: 10_000) { _ in }
        let acked = Date()
        let deadline = acked.addingTimeInterval(10)
        var arrived = false
        while !arrived && Date() < deadline {
            try consumer.poll(into: batch, timeoutMs: 5)
            arrived = !batch.isEmpty
        }
        guard arrived else { throw BenchError("record \(i) did not arrive within 10 s") }
        afterAck.append(Date().timeIntervalSince(acked) * 1000)
        afterProduce.append(Date().timeIntervalSince(produced) * 1000)
    }
    func summary(_ values: [Double]) -> String {
        let sorted = values.sorted()
        let at = { (q: Double) in sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))] }
        return String(format: "p50 %.1f, p90 %.1f, max %.1f ms", at(0.5), at(0.9), sorted.last ?? 0)
    }
    print("a record produced to a parked partition (check every \(interval) ms, \(samples) records): "
        + "after its ack \(summary(afterAck)); from its produce call \(summary(afterProduce)) (load \(loadAverage()))")
}

/// This process's CPU time, user + system, all threads.
private func ownCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// The 1-minute load average, as /proc/loadavg prints it.
private func loadAverage() -> String {
    ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").first.map(String.init) ?? "?"
}
