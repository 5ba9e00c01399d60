import Foundation
import Testing
@testable import TallyCore
@testable import TallyWire
import TallySeededRandom

/// `RuleLogReader.apply(records:)` decodes and hashes on a second thread while this one
/// applies; only where the decoding runs may change. On random logs (valid chains, random
/// shapes with escapes, tiers, batches and module changes, damaged and re-spaced bytes,
/// bytes that are no event, redelivered offsets), with many batch edges, its outcomes and
/// state are the reference fold's (tree decoder, `computedHash()`, one record at a time)
/// and the one-record reader's.
@Suite struct RuleLogTwoThreadFoldTests {
    typealias Numbers = SplitMix64
    typealias Decoded = RuleEventDirectDecoderTests

    /// A log of `count` records and, per record, its offset.
    static func log(seed: UInt64, count: Int) -> [RuleLogReader.StoredRecord] {
        var r = Numbers(seed: seed)
        var head = ""
        var records: [RuleLogReader.StoredRecord] = []
        let origin = EventTime(micros: 1_767_225_600_000_000)
        var offset: Int64 = 0
        var reader = RuleLogState()
        for n in 0..<count {
            let recorded = EventTime(micros: origin.micros + Int64(n) * 60_000_000)
            func sealed(_ change: RuleChange) -> RuleEvent {
                let event = RuleEvent(id: "e-\(n % 400)", author: r.next(4) == 0 ? "bob" : "alice", reason: "test",
                                      recordedAt: recorded, start: EventTime(micros: recorded.micros + Int64(r.next(3)) * 3_600_000_000),
                                      change: change).sealed(after: r.next(20) == 0 ? "stale" : head)
                return event
            }
            let bytes: [UInt8]
            switch (n, r.next(12)) {
            case (0, _): bytes = RuleEventCodec.encode(sealed(.create(.group("g"))))
            case (1, _): bytes = RuleEventCodec.encode(sealed(.create(.service(ServiceDeclaration(name: "compute", fields: ["flavor"])))))
            case (_, 0): bytes = RuleEventCodec.encode(sealed(.end(.rule(.mapping, "rule-\(r.next(40))"))))
            case (_, 1):
                // Random shapes: escapes, tiers, batches, module changes (the tree decoder's).
                var event = Decoded.event(&r)
                event = RuleEvent(id: event.id, author: event.author, reason: event.reason, recordedAt: event.recordedAt,
                                  start: event.start, end: event.end, force: event.force, change: event.change).sealed(after: head)
                bytes = RuleEventCodec.encode(event)
            case (_, 2): bytes = Decoded.alter(RuleEventCodec.encode(sealed(.delete(.rule(.mapping, "rule-\(r.next(40))")))), &r)
            case (_, 3): bytes = [Array("[]".utf8), Array("{".utf8), [], [0xFF, 0x00]][r.next(4)]
            case (_, 4): bytes = Array(String(decoding: RuleEventCodec.encode(sealed(.enableModule(.hashmap))), as: UTF8.self)
                .replacingOccurrences(of: ",", with: ", ").utf8)
            default:
                let field: String? = r.next(2) == 0 ? nil : "flavor"
                let event = sealed(.create(.mapping(HashMapping(
                    id: "rule-\(r.next(40))", service: "compute", field: field, value: field.map { _ in "m1-\(r.next(3))" },
                    type: .flat, cost: ExactDecimal(coefficient: Int128(r.next(300)), exponent: -2), group: r.next(2) == 0 ? nil : "g"))))
                var encoded = RuleEventCodec.encode(event)
                if r.next(8) == 0 { encoded = Array(String(decoding: encoded, as: UTF8.self).replacingOccurrences(of: "alice", with: "eve").utf8) }
                bytes = encoded
            }
            // Mostly the next offset; sometimes a gap, sometimes a redelivery of an old one.
            switch r.next(20) {
            case 0: offset += 3
            case 1: offset -= 1
            default: offset += 1
            }
            records.append((offset, bytes))
            // The next event links to the head a reader has now (racing and damaged
            // records leave it where it was).
            referenceApply((offset, bytes), to: &reader)
            head = reader.head
        }
        return records
    }

    /// The reference: each record decoded by the tree decoder and hashed by `computedHash()`.
    @discardableResult
    static func referenceApply(_ record: RuleLogReader.StoredRecord, to state: inout RuleLogState) -> RuleEventOutcome {
        do throws(RuleEventDecodingError) {
            return state.apply(try RuleEventCodec.decodeTree(record.bytes), offset: record.offset)
        } catch {
            return state.recordUndecodable(offset: record.offset, problem: error.description)
        }
    }

    static func referenceFold(_ records: [RuleLogReader.StoredRecord], into start: RuleLogState = RuleLogState())
        -> (state: RuleLogState, outcomes: [RuleEventOutcome]) {
        var state = start
        let outcomes = records.map { referenceApply($0, to: &state) }
        return (state, outcomes)
    }

    @Test func twoThreadsReachTheReferenceOutcomesAndState() {
        var accepted = 0, codes = Set<RuleEventRejection.Code>(), redelivered = 0
        for seed in 0..<12 {
            var r = Numbers(seed: UInt64(seed) &+ 77)
            let records = Self.log(seed: UInt64(seed), count: 500 + r.next(400))
            let reference = Self.referenceFold(records)
            var oneByOne = RuleLogReader()
            let single = records.map { oneByOne.apply(bytes: $0.bytes, offset: $0.offset) }
            var twoThreads = RuleLogReader()
            let bulk = twoThreads.apply(records: records, threadFrom: 0, batchSize: 1 + r.next(9))
            #expect(bulk.outcomes == reference.outcomes, "seed \(seed)")
            #expect(single == reference.outcomes, "seed \(seed)")
            #expect(twoThreads.state == reference.state, "seed \(seed)")
            #expect(oneByOne.state == reference.state, "seed \(seed)")
            #expect(bulk.decodeThreadCPUNanos > 0, "seed \(seed): the decode thread ran")
            accepted += reference.state.acceptedCount
            codes.formUnion(reference.state.rejected.map(\.rejection.code))
            redelivered += reference.outcomes.filter { $0 == .alreadyFolded }.count
        }
        // The logs exercise what they are meant to: acceptances, every kind of rejection
        // the fold makes of damaged or racing records, and redeliveries.
        #expect(accepted > 500, "\(accepted) accepted")
        for code in [RuleEventRejection.Code.badHash, .staleHead, .invalidEvent] { #expect(codes.contains(code), "\(codes)") }
        #expect(codes.count >= 5, "\(codes)")
        #expect(redelivered > 20, "\(redelivered) redelivered")
    }

    /// Continuing a reader that has folded part of the log (a snapshot, a live follower):
    /// the bulk fold starts from its head and lent strings, and ends where one-by-one does.
    @Test func aBulkFoldContinuesAStartedReader() {
        for seed in 20..<26 {
            let records = Self.log(seed: UInt64(seed), count: 700)
            let reference = Self.referenceFold(records)
            var reader = RuleLogReader()
            for record in records.prefix(300) { reader.apply(bytes: record.bytes, offset: record.offset) }
            let bulk = reader.apply(records: Array(records.dropFirst(300)), threadFrom: 0, batchSize: 64)
            #expect(bulk.outcomes == Array(reference.outcomes.dropFirst(300)), "seed \(seed)")
            #expect(reader.state == reference.state, "seed \(seed)")
            // And the reader goes on one record at a time after it.
            let more = Self.log(seed: UInt64(seed) + 100, count: 50).map { (offset: $0.offset + 10_000, bytes: $0.bytes) }
            let referenceMore = Self.referenceFold(more, into: reference.state)
            var after = reader
            #expect(more.map { after.apply(bytes: $0.bytes, offset: $0.offset) } == referenceMore.outcomes, "seed \(seed)")
            #expect(after.state == referenceMore.state, "seed \(seed)")
        }
    }

    /// The decode thread runs under its OS name (top, perf, `thread_cpu_ms`): held full, it
    /// waits in its hand-off, and /proc lists it under that name while it does.
    @Test func theDecodeThreadRunsUnderItsName() {
        let records = Self.log(seed: 6, count: 64)
        let decoder = RuleLogDecodeThread(records: records, batchSize: 1, known: .init())
        func threadNames() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).compactMap {
                try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8)
            }
        }
        var shown = false
        for _ in 0..<100_000 where !shown {
            shown = threadNames().contains(RuleLogDecodeThread.name + "\n")
            if !shown { sched_yield() }
        }
        var handedOver = 0
        while let batch = decoder.next() { handedOver += batch.count }
        _ = decoder.finish()
        #expect(shown)
        #expect(handedOver == records.count)
    }

    /// Few records are folded on this thread: no thread is started for them.
    @Test func fewRecordsStartNoThread() {
        let records = Self.log(seed: 5, count: 40)
        var reader = RuleLogReader()
        let bulk = reader.apply(records: records)
        #expect(bulk.decodeThreadCPUNanos == 0)
        #expect(bulk.outcomes == Self.referenceFold(records).outcomes)
        var empty = RuleLogReader()
        #expect(empty.apply(records: [], threadFrom: 0).outcomes.isEmpty)
        #expect(empty.state == RuleLogState())
    }
}
