import Glibc
import TallyCore
import TallyThreads

/// Closing one window in the core: price with explanation, frame id, frame and seal
/// (content hash over the canonical body), as the engine does per closed window: the
/// frame written straight from the window's fields (`FrameFields`, symbols and value
/// slots), and for comparison through a `Frame` value (what a replay's frame sink gets).
/// The engine's own figure, with its window bookkeeping, is `fold`'s close time ÷ frames.
/// Also SHA-256 alone: libcrypto (what the code uses) against the portable reference.
func runClosingBench() {
    let rater = Rater(book: RatingBenchBooks.hashmap100())
    let windows = RatingBenchBooks.windows(count: 4096)
    let lineage = [Frame.LineageRange(topic: "metering.sample", partition: 3, firstOffset: 1_000, lastOffset: 1_180, samples: 12)]
    let bookHash = String(repeating: "ab", count: 32), digest = String(repeating: "0f", count: 16)
    // The engine's view of the same windows: interned texts and value slots.
    let symbols = SymbolTable()
    let names = (0..<windows[0].description.count).map { windows[0].description.name(at: $0) }
    let layout = FrameObjectLayout(names: names, slots: Array(names.indices))
    let interned = windows.map { w in
        (scope: symbols.intern(w.scope), resource: symbols.intern(w.resource),
         metadata: (0..<w.description.count).map { MetaValue(kind: .string, text: symbols.intern(w.description.text(at: $0))) })
    }
    let entries = [LineageEntry(topic: 0, partition: 3, firstOffset: 1_000, lastOffset: 1_180, samples: 12)]
    let sampleDigest = SampleDigest(high: 0x0f0f_0f0f_0f0f_0f0f, low: 0x0f0f_0f0f_0f0f_0f0f)
    var buffer = FrameBuffer()
    func fields(_ i: Int, _ result: RatingResult) -> FrameFields {
        let w = windows[i], e = interned[i]
        return FrameFields(revision: 1, metric: "instance", service: w.service, scopeKind: "project_id", scope: e.scope,
                           project: e.scope, user: .none, resource: e.resource, groupbyLayout: .empty, groupValues: [],
                           metadataLayout: layout, metadata: e.metadata, windowStart: w.windowStart, windowEnd: w.windowEnd,
                           quantity: w.quantity, unit: w.unit, price: result.price, previousPrice: .zero, currency: "EUR",
                           status: .rated, explanation: result.explanation, ruleBookVersion: 7, ruleBookHash: bookHash,
                           lineage: entries, topics: ["metering.sample"], sampleCount: 12, sampleDigest: sampleDigest,
                           engineVersion: "tally/bench", outputPartition: 3)
    }
    func frameValue(_ w: RatingInput, _ result: RatingResult) -> Frame {
        var metadata: [String: CanonicalJSON] = [:]
        for k in 0..<w.description.count { metadata[w.description.name(at: k)] = .string(w.description.text(at: k)) }
        let id = Frame.id(metric: "instance", scopeKind: "project_id", scope: w.scope, resource: w.resource,
                          groupby: [], windowStart: w.windowStart)
        return Frame(frameId: id, revision: 1, metric: "instance", service: w.service, scopeKind: "project_id",
                     scope: w.scope, projectId: w.scope, userId: nil, resourceId: w.resource, groupby: [:],
                     metadata: metadata, windowStart: w.windowStart, windowEnd: w.windowEnd, quantity: w.quantity,
                     unit: w.unit, price: result.price, previousPrice: .zero, currency: "EUR", status: .rated,
                     explanation: result.explanation, ruleBookVersion: 7, ruleBookHash: bookHash,
                     lineage: lineage, sampleCount: 12, sampleDigest: digest,
                     engineVersion: "tally/bench", outputPartition: 3)
    }
    // The two ways must agree byte for byte (FrameFieldsSealingTests holds it in the suite).
    for i in 0..<64 {
        let result = rater.rate(windows[i])
        var frame = frameValue(windows[i], result)
        if buffer.seal(fields(i, result), symbols: symbols, previousHash: "").bytes != frame.seal(previousHash: "") {
            print("  WARNING: window \(i): the fields' frame differs from the Frame value's")
        }
    }
    var chain = ""
    var sealedBytes = 0
    timed("closing: price + frame + hashes (from the window's fields)", count: 200_000, unit: "window") { n in
        var sink = 0
        for i in 0..<n {
            let result = rater.rate(windows[i & 4095])
            let sealed = buffer.seal(fields(i & 4095, result), symbols: symbols, previousHash: chain)
            chain = sealed.contentHash
            sink &+= sealed.bytes.count
        }
        sealedBytes = sink / max(n, 1)
        return sink
    }
    print("  (frames average \(sealedBytes) bytes)")
    timed("  the same through a Frame value (a frame sink's)", count: 200_000, unit: "window") { n in
        var sink = 0
        for i in 0..<n {
            let w = windows[i & 4095]
            var frame = frameValue(w, rater.rate(w))
            let bytes = frame.seal(previousHash: chain, into: &buffer)
            chain = frame.contentHash
            sink &+= bytes.count
        }
        return sink
    }
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
    let results = (0..<4096).map { rater.rate(windows[$0]) }
    let frameNanos = timed("  of which the frame from the fields (id, members, content hash)", count: 200_000, unit: "window") { n in
        var sink = 0
        for i in 0..<n {
            let sealed = buffer.seal(fields(i & 4095, results[i & 4095]), symbols: symbols, previousHash: chain)
            chain = sealed.contentHash
            sink &+= sealed.bytes.count
        }
        return sink
    }
    // The frame writer without SHA-256: the same frames' bytes hashed again, one call per
    // frame as sealing does (the content hash over the record; the frame id's ~70 bytes are
    // a second, smaller hash not counted here), taken from the row above.
    let records = (0..<4096).map { buffer.seal(fields($0, results[$0]), symbols: symbols, previousHash: chain).bytes }
    let hashNanos = timed("  of which SHA-256 of the record (the same bytes hashed again)", count: 200_000, unit: "window") { n in
        var sink = 0
        for i in 0..<n { sink &+= Int(SHA256.hex(records[i & 4095]).utf8.first!) }
        return sink
    }
    print("  (the frame from the fields less that hash: \(Int((frameNanos - hashNanos).rounded())) ns per window)")
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
@discardableResult
func timed(_ name: String, count: Int, unit: String, _ body: (Int) -> Int) -> Double {
    let started = threadCPUNanos()
    let sink = body(count)
    let ns = Double(threadCPUNanos() - started) / Double(count)
    let rate = 1e9 / ns
    let perItem = ns >= 10_000 ? "\((ns / 100).rounded() / 10) µs" : "\(Int(ns.rounded())) ns"
    print("\(name): \(Int(rate)) \(unit)s/s (\(perItem) CPU per \(unit)) [check \(sink & 0xff)]")
    return ns
}
