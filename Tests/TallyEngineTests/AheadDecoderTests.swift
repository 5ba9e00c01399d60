import Testing
import TallyCore
import TallyWire
@testable import TallyEngine

/// `tally run`'s decode thread decodes with an `AheadDecoder` (a symbol table of its own)
/// and hands each batch to the rater with `adopt`: what the rater then writes must be what it
/// writes when it decodes each record itself, byte for byte, and its symbol table must hold
/// the same strings under the same ids (ties between windows closing together go by id).
@Suite struct AheadDecoderTests {
    typealias H = EngineHarness

    /// Batches over two partitions: new resources, projects and flavors in every batch (the
    /// `instance` metric's extra groupby interns a tuple while folding, between the strings the
    /// decoder interns), a duplicate, an unknown metric, a record cut short after its first
    /// strings, a negative volume, and windows that close together.
    static let batches: [(partition: Int32, values: [String])] = {
        // Before the closing clock exists: a month-old sample is stale beside its neighbour (the preview).
        var batches: [(Int32, [String])] = [(0, [H.sample(id: "old", volume: "1", at: "2026-10-02T00:01:00Z"),
                                                 H.sample(id: "s0", volume: "1", at: "2026-11-02T00:01:00Z")]),
                                            (1, [H.sample(id: "s1", volume: "1", at: "2026-11-02T00:02:00Z")])]
        for hour in 0 ..< 6 {
            for partition in 0 ..< 2 as Range<Int32> {
                var values: [String] = []
                for n in 0 ..< 5 {
                    let at = "2026-11-02T0\(hour):\(10 + 7 * n + Int(partition)):00Z"
                    let id = "h\(hour)-p\(partition)-\(n)"
                    values.append(H.sample(id: id, metric: "instance", volume: "1", at: at, project: "proj-\(n % 3)",
                                           resource: "vm-\(hour)-\(n)-\(partition)", flavor: "f\((hour + n) % 4)-\(partition)"))
                    values.append(H.sample(id: id + "-cpu", volume: "\(n).25", at: at, project: "proj-\(hour)",
                                           resource: "cpu-\(n)-\(partition)"))
                }
                values.append(values[1])  // a duplicate
                values.append(H.sample(id: "u\(hour)\(partition)", metric: "unknown-\(hour)", volume: "1", at: "2026-11-02T0\(hour):30:00Z"))
                values.append(String(H.sample(id: "cut\(hour)", volume: "1", at: "2026-11-02T0\(hour):30:00Z",
                                              resource: "cut-resource-\(hour)-\(partition)").dropLast(20)))
                values.append(H.sample(id: "neg\(hour)\(partition)", volume: "-3", at: "2026-11-02T0\(hour):31:00Z",
                                       resource: "neg-\(hour)"))
                batches.append((partition, values))
            }
        }
        return batches
    }()

    @Test func aRaterFedDecodedBatchesWritesTheSameBytesAndSymbolsAsOneThatDecodes() throws {
        let inline = try EngineHarness(), ahead = try EngineHarness()
        let decoder = try ahead.rater.makeAheadDecoder()
        var beforeClock = 0
        for (i, batch) in Self.batches.enumerated() {
            let last = i == Self.batches.count - 1
            if inline.rater.needsPreview { beforeClock += 1 }
            try inline.feed(batch.values, partition: batch.partition, endOfInput: last)
            try ahead.feedDecodedAhead(batch.values, partition: batch.partition, decoder: decoder, endOfInput: last)
        }
        #expect(beforeClock == 1, "the first batch folds before the closing clock exists (the preview)")
        let frames = inline.frames()
        #expect(frames.count > 20)
        let reasons = Set(inline.deadLetters().compactMap { $0["reason"] as? String })
        #expect(reasons.isSuperset(of: ["too-late", "malformed-json", "negative-volume", "unknown-metric"]), "\(reasons)")
        #expect(ahead.sent.map(\.value) == inline.sent.map(\.value))
        #expect(ahead.sent.map(\.topic) == inline.sent.map(\.topic))
        #expect(ahead.rater.counters == inline.rater.counters)
        #expect(ahead.rater.symbols.count == inline.rater.symbols.count)
        var sameIds = true
        inline.rater.symbols.forEachSymbol(after: 0) { symbol, bytes in
            if ahead.rater.symbols.withBytes(symbol, { Array($0) }) != Array(bytes) { sameIds = false }
        }
        #expect(sameIds)
    }

    @Test func aDecodedBatchKeepsOnlyInputRecordsAndShipsItsNewStringsOnce() throws {
        let h = try EngineHarness()
        let decoder = try h.rater.makeAheadDecoder()
        func decode(_ topic: String, _ values: [String]) -> DecodedBatch {
            for (i, value) in values.enumerated() {
                var bytes = Array(value.utf8)
                bytes.withUnsafeMutableBytes { raw in
                    decoder.decode(InputRecord(topic: topic, partition: 0, offset: Int64(i), key: nil, value: UnsafeRawBufferPointer(raw)),
                                   wallNow: h.wallNow)
                }
            }
            return decoder.finish()
        }
        let first = decode("tally.samples", [H.sample(id: "a", volume: "1", at: "2026-11-02T00:01:00Z", resource: "r-new")])
        #expect(first.recordCount == 1)
        #expect(first.newSymbols.first == 1)
        let texts = first.newSymbols.ends.indices.map { i in first.newSymbols.withBytes(of: i) { String(decoding: $0, as: UTF8.self) } }
        #expect(texts.contains("r-new") && texts.contains("p1"))
        // The same strings again introduce nothing; a record of another topic is not decoded.
        let second = decode("tally.samples", [H.sample(id: "b", volume: "2", at: "2026-11-02T00:02:00Z", resource: "r-new")])
        #expect(second.newSymbols.ends.isEmpty && second.newSymbols.first == first.newSymbols.end)
        #expect(decode("tally.rules", ["{}"]).recordCount == 0)
    }
}

extension EngineHarness {
    /// `feed`, with the records decoded first by `decoder` and handed in with `adopt`, as the
    /// decode thread does.
    func feedDecodedAhead(_ values: [String], partition: Int32, decoder: AheadDecoder, endOfInput: Bool) throws {
        var buffers = values.map { Array($0.utf8) }
        let first = offsets[partition, default: 0]
        func record(_ i: Int, _ raw: UnsafeMutableRawBufferPointer) -> InputRecord {
            InputRecord(topic: "tally.samples", partition: partition, offset: first + Int64(i), key: nil, value: UnsafeRawBufferPointer(raw))
        }
        for i in buffers.indices { buffers[i].withUnsafeMutableBytes { decoder.decode(record(i, $0), wallNow: wallNow) } }
        rater.adopt(decoder.finish())
        for i in buffers.indices { buffers[i].withUnsafeMutableBytes { rater.fold(record(i, $0), wallNow: wallNow) } }
        offsets[partition] = first + Int64(values.count)
        let out = try rater.commitBatch(wallNow: wallNow, endOfInput: endOfInput)
        sent += out
        for m in out { rater.acknowledge(m.token) }
    }
}
