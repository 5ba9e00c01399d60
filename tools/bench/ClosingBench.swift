import Glibc
import TallyCore

/// Closing one window in the core: price with explanation, frame id, frame build and
/// seal (content hash over the canonical body), as the engine does per closed window.
/// The engine's own figure, with its window bookkeeping, is `fold`'s close time ÷ frames.
/// Also SHA-256 alone: libcrypto (what the code uses) against the portable reference.
func runClosingBench() {
    let rater = Rater(book: RatingBenchBooks.hashmap100())
    let windows = RatingBenchBooks.windows(count: 4096)
    let lineage = [Frame.LineageRange(topic: "metering.sample", partition: 3, firstOffset: 1_000, lastOffset: 1_180, samples: 12)]
    let bookHash = String(repeating: "ab", count: 32), digest = String(repeating: "0f", count: 16)
    var chain = ""
    var sealedBytes = 0
    timed("closing: price + frame + hashes", count: 200_000, unit: "window") { n in
        var sink = 0
        for i in 0..<n {
            let w = windows[i & 4095]
            let result = rater.rate(w)
            var metadata: [String: CanonicalJSON] = [:]
            for k in 0..<w.description.count { metadata[w.description.name(at: k)] = .string(w.description.text(at: k)) }
            let id = Frame.id(metric: "instance", scopeKind: "project_id", scope: w.scope, resource: w.resource,
                              groupby: [], windowStart: w.windowStart)
            var frame = Frame(frameId: id, revision: 1, metric: "instance", service: w.service, scopeKind: "project_id",
                              scope: w.scope, projectId: w.scope, userId: nil, resourceId: w.resource, groupby: [:],
                              metadata: metadata, windowStart: w.windowStart, windowEnd: w.windowEnd, quantity: w.quantity,
                              unit: w.unit, price: result.price, previousPrice: .zero, currency: "EUR", status: .rated,
                              explanation: result.explanation, ruleBookVersion: 7, ruleBookHash: bookHash,
                              lineage: lineage, sampleCount: 12, sampleDigest: digest,
                              engineVersion: "tally/bench", outputPartition: 3)
            let bytes = frame.seal(previousHash: chain)
            chain = frame.contentHash
            sink &+= bytes.count
        }
        sealedBytes = sink / max(n, 1)
        return sink
    }
    print("  (frames average \(sealedBytes) bytes)")
    timed("  of which pricing with explanation", count: 200_000, unit: "window") { n in
        var sink = 0
        for i in 0..<n { sink &+= rater.rate(windows[i & 4095]).explanation.modules.count }
        return sink
    }
    let explanation = rater.rate(windows[0]).explanation
    timed("  of which the explanation's bytes", count: 200_000, unit: "window") { n in
        var sink = 0
        for _ in 0..<n { sink &+= explanation.canonicalBytes.count }
        return sink
    }
    for size in [100, 1_500] {
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        timed("sha-256 \(size) B, libcrypto", count: 1_000_000, unit: "digest") { n in
            var sink = 0
            for _ in 0..<n { sink &+= Int(SHA256.hex(data).utf8.first!) }
            return sink
        }
        timed("sha-256 \(size) B, portable Swift", count: 200_000, unit: "digest") { n in
            var sink = 0
            for _ in 0..<n { sink &+= Int(PortableSHA256.hex(data).utf8.first!) }
            return sink
        }
    }
}

/// Runs `body(count)` once and prints the rate and the time per item, in this thread's
/// CPU time: the machine is shared (load 6 on 2 cores while others build), and wall time
/// then mostly measures the scheduler.
func timed(_ name: String, count: Int, unit: String, _ body: (Int) -> Int) {
    let started = threadCPUNanos()
    let sink = body(count)
    let ns = Double(threadCPUNanos() - started) / Double(count)
    let rate = 1e9 / ns
    let perItem = ns >= 10_000 ? "\((ns / 100).rounded() / 10) µs" : "\(Int(ns.rounded())) ns"
    print("\(name): \(Int(rate)) \(unit)s/s (\(perItem) CPU per \(unit)) [check \(sink & 0xff)]")
}

func threadCPUNanos() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}
