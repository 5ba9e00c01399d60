import TallyCore
import TallyWire

/// What a replay spends per emitted frame it reads back from the frames topic: the whole
/// member tree (what it did before) against the eight members its summary needs, the rest
/// checked but not built (`CanonicalJSONParser.members`). Frames as the closing row seals
/// them (~1.9 KB, explanation included). CPU time of this thread. The replay as a whole is
/// the e2e row's `tally replay` line.
func runReplayBench() {
    let rater = Rater(book: RatingBenchBooks.hashmap100())
    let windows = RatingBenchBooks.windows(count: 4096)
    let lineage = [Frame.LineageRange(topic: "metering.sample", partition: 3, firstOffset: 1_000, lastOffset: 1_180, samples: 12)]
    var chain = ""
    let records: [[UInt8]] = windows.map { w in
        let result = rater.rate(w)
        var metadata: [String: CanonicalJSON] = [:]
        for k in 0..<w.description.count { metadata[w.description.name(at: k)] = .string(w.description.text(at: k)) }
        var frame = Frame(frameId: Frame.id(metric: "instance", scopeKind: "project_id", scope: w.scope, resource: w.resource,
                                            groupby: [], windowStart: w.windowStart),
                          revision: 1, metric: "instance", service: w.service, scopeKind: "project_id",
                          scope: w.scope, projectId: w.scope, userId: nil, resourceId: w.resource, groupby: [:],
                          metadata: metadata, windowStart: w.windowStart, windowEnd: w.windowEnd, quantity: w.quantity,
                          unit: w.unit, price: result.price, previousPrice: .zero, currency: "EUR", status: .rated,
                          explanation: result.explanation, ruleBookVersion: 7, ruleBookHash: String(repeating: "ab", count: 32),
                          lineage: lineage, sampleCount: 12, sampleDigest: String(repeating: "0f", count: 16),
                          engineVersion: "tally/bench", outputPartition: 3)
        let bytes = frame.seal(previousHash: chain)
        chain = frame.contentHash
        return bytes
    }
    let keys = ["frame_id", "revision", "price", "quantity", "window", "scope", "metric", "resource_id"]
    timed("replay: an emitted frame's whole member tree", count: 100_000, unit: "frame") { n in
        var sink = 0
        for i in 0..<n {
            if case .object(let members)? = try? CanonicalJSONParser.parse(records[i & 4095]) { sink &+= members.count }
        }
        return sink
    }
    timed("replay: an emitted frame's summary members only", count: 100_000, unit: "frame") { n in
        var sink = 0
        for i in 0..<n {
            let kept = records[i & 4095].withUnsafeBytes { try? CanonicalJSONParser.members(of: $0, keeping: keys) }
            sink &+= kept?.count ?? 0
        }
        return sink
    }
    // Every frame must be read by the selective path itself, not handed to the tree parser.
    let read = records.filter { r in r.withUnsafeBytes { (try? CanonicalJSONParser.members(of: $0, keeping: keys)) != nil } }.count
    precondition(read == records.count, "the selective reader deferred \(records.count - read) frames to the tree parser")
    print("  (frames average \(records.reduce(0) { $0 + $1.count } / records.count) bytes)")
}
