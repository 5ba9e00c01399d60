import Testing
import TallyCore
import TallyEngine

@Suite struct StreamRaterTests {
    typealias H = EngineHarness

    @Test func windowsCloseWhenTheWatermarkPassesEndPlusGrace() throws {
        let h = try EngineHarness()
        try h.feed([H.sample(id: "a", volume: "1.5", at: "2026-11-02T00:10:00Z"),
                    H.sample(id: "b", volume: "2.25", at: "2026-11-02T00:50:00Z")])
        #expect(h.frames().isEmpty)
        // 01:04 is within the 5-minute grace of the 00:00–01:00 window: still open.
        try h.feed([H.sample(id: "c", volume: "1", at: "2026-11-02T01:04:00Z")])
        #expect(h.frames().isEmpty)
        try h.feed([H.sample(id: "d", volume: "1", at: "2026-11-02T01:05:00Z")])
        let frames = h.frames()
        #expect(frames.count == 1)
        #expect(frames.first?["quantity"] as? String == "3.75")
        #expect(frames.first?["price"] as? String == "1.875")
        #expect(frames.first?["revision"] as? Int == 1)
        #expect((frames.first?["window"] as? [String: Any])?["start"] as? String == "2026-11-02T00:00:00Z")
        #expect(h.rater.counters.samplesFolded == 4)
    }

    @Test func duplicatesAndUnknownMetricsAreCountedAndDeadLettered() throws {
        let h = try EngineHarness()
        try h.feed([H.sample(id: "a", volume: "1", at: "2026-11-02T00:10:00Z"),
                    H.sample(id: "a", volume: "1", at: "2026-11-02T00:10:00Z"),
                    H.sample(id: "z", metric: "nope", volume: "1", at: "2026-11-02T00:10:00Z"),
                    "{not json"])
        let c = h.rater.counters
        #expect(c.recordsIn == 4)
        #expect(c.recordsFolded == 1 && c.recordsDuplicate == 1 && c.recordsDeadLettered == 2)
        #expect(c.recordsIn == c.recordsFolded + c.recordsDuplicate + c.recordsDeadLettered)
        let reasons = h.deadLetters().compactMap { $0["reason"] as? String }.sorted()
        #expect(reasons == ["malformed-json", "unknown-metric"])
    }

    @Test func lateSampleWithinRetentionGivesRevisionTwoAndBeyondIsTooLate() throws {
        let h = try EngineHarness()
        try h.feed([H.sample(id: "a", volume: "1", at: "2026-11-02T00:10:00Z"),
                    H.sample(id: "b", volume: "1", at: "2026-11-02T01:30:00Z")])
        #expect(h.frames().count == 1)
        // Late but within the 2-hour retention: revision 2 with the new total.
        try h.feed([H.sample(id: "late", volume: "2", at: "2026-11-02T00:20:00Z")])
        let revised = h.frames().filter { ($0["revision"] as? Int) == 2 }
        #expect(revised.count == 1)
        #expect(revised.first?["quantity"] as? String == "3")
        #expect(revised.first?["previous_price"] as? String == "0.5")
        #expect(revised.first?["price_delta"] as? String == "1")
        #expect(revised.first?["frame_id"] as? String == h.frames().first?["frame_id"] as? String)
        // Move the clock far on, then a sample for 00:00–01:00 is beyond retention.
        try h.feed([H.sample(id: "c", volume: "1", at: "2026-11-02T05:00:00Z")])
        try h.feed([H.sample(id: "too", volume: "1", at: "2026-11-02T00:30:00Z")])
        #expect(h.deadLetters().last?["reason"] as? String == "too-late")
        #expect(h.rater.counters.samplesTooLate == 1)
    }

    @Test func groupbyValuesSplitWindowsAndMetadataComesFromTheLatestSample() throws {
        let h = try EngineHarness()
        try h.feed([H.sample(id: "1", metric: "instance", volume: "1", at: "2026-11-02T00:10:00Z", flavor: "m1.small"),
                    H.sample(id: "2", metric: "instance", volume: "1", at: "2026-11-02T00:40:00Z", flavor: "m1.large")],
                   endOfInput: true)
        let frames = h.frames()
        #expect(frames.count == 2)
        let flavors = frames.compactMap { ($0["groupby"] as? [String: Any])?["flavor_name"] as? String }.sorted()
        #expect(flavors == ["m1.large", "m1.small"])
        #expect(Set(frames.compactMap { $0["frame_id"] as? String }).count == 2)
    }

    @Test func restartResumesFromCommittedStateWithoutDoubleCounting() throws {
        let store = MemoryStateStore()
        let h = try EngineHarness(store: store)
        try h.feed([H.sample(id: "a", volume: "1", at: "2026-11-02T00:10:00Z")])
        // Records folded but never committed are lost with the crash, then re-read.
        var bytes = Array(H.sample(id: "b", volume: "4", at: "2026-11-02T00:20:00Z").utf8)
        bytes.withUnsafeMutableBytes { raw in
            h.rater.fold(InputRecord(topic: "tally.samples", partition: 0, offset: 1, key: nil,
                                     value: UnsafeRawBufferPointer(raw)), wallNow: h.wallNow)
        }
        _ = try h.restart()
        #expect(h.offsets[0] == 1)
        try h.feed([H.sample(id: "b", volume: "4", at: "2026-11-02T00:20:00Z"),
                    H.sample(id: "a", volume: "1", at: "2026-11-02T00:10:00Z")], endOfInput: true)
        let frames = h.frames()
        #expect(frames.count == 1)
        #expect(frames.first?["quantity"] as? String == "5")
        #expect(h.rater.counters.samplesDuplicate == 1)
    }

    @Test func unacknowledgedFramesAreResentIdenticallyAfterACrash() throws {
        let store = MemoryStateStore()
        let h = try EngineHarness(store: store)
        let rater = h.rater
        var bytes = Array(H.sample(id: "a", volume: "1", at: "2026-11-02T00:10:00Z").utf8)
        bytes.withUnsafeMutableBytes { raw in
            rater.fold(InputRecord(topic: "tally.samples", partition: 0, offset: 0, key: nil,
                                   value: UnsafeRawBufferPointer(raw)), wallNow: h.wallNow)
        }
        let sent = try rater.commitBatch(wallNow: h.wallNow, endOfInput: true)  // never acknowledged
        #expect(sent.filter { $0.topic == "tally.frames" }.count == 1)
        #expect(sent.last?.topic == "tally.checkpoints", "the chains' checkpoint follows the batch's frames")
        let resent = try h.restart()
        #expect(resent.map(\.value) == sent.map(\.value))
        #expect(resent.map(\.token) == sent.map(\.token))
    }

    @Test func sameInputGivesByteIdenticalFrames() throws {
        func run() throws -> [[UInt8]] {
            let h = try EngineHarness()
            try h.feed([H.sample(id: "a", volume: "1", at: "2026-11-02T00:10:00Z", project: "p1"),
                        H.sample(id: "b", volume: "2", at: "2026-11-02T00:10:00Z", project: "p2"),
                        H.sample(id: "c", volume: "3", at: "2026-11-02T02:10:00Z", project: "p1")], endOfInput: true)
            return h.sent.filter { $0.topic == "tally.frames" }.map(\.value)
        }
        let first = try run()
        #expect(first.count == 3)
        #expect(try run() == first)
    }
}

@Suite struct PartitionClockTests {
    typealias H = EngineHarness

    @Test func assignedPartitionsHoldTheClockUntilTheyDeliverThenWindowsClose() throws {
        let h = try EngineHarness()
        h.rater.assign([("tally.samples", 0), ("tally.samples", 1)])
        try h.feed([H.sample(id: "a", volume: "1", at: "2026-11-02T00:10:00Z"),
                    H.sample(id: "b", volume: "1", at: "2026-11-02T02:10:00Z")], partition: 0)
        #expect(h.frames().isEmpty)  // partition 1 has not delivered: it may hold 00:xx samples
        try h.feed([H.sample(id: "c", volume: "2", at: "2026-11-02T00:20:00Z"),
                    H.sample(id: "d", volume: "1", at: "2026-11-02T02:00:00Z")], partition: 1)
        let frames = h.frames()
        #expect(frames.count == 1)
        #expect(frames.first?["quantity"] as? String == "3")
    }
}

@Suite struct CounterIncreaseTests {
    typealias H = EngineHarness

    static func latest(_ h: EngineHarness) -> [String: (revision: Int, quantity: String)] {
        var out: [String: (revision: Int, quantity: String)] = [:]
        for f in h.frames() where f["metric"] as? String == "bytes_out" {
            let start = (f["window"] as! [String: Any])["start"] as! String, rev = f["revision"] as! Int
            if (out[start]?.revision ?? 0) < rev { out[start] = (rev, f["quantity"] as! String) }
        }
        return out
    }

    @Test func increaseCountsTheRiseBetweenWindowsOnceAndHandlesResets() throws {
        let h = try EngineHarness()
        try h.feed([H.sample(id: "1", metric: "bytes_out", volume: "100", at: "2026-11-02T00:10:00Z"),
                    H.sample(id: "2", metric: "bytes_out", volume: "160", at: "2026-11-02T00:50:00Z"),
                    H.sample(id: "3", metric: "bytes_out", volume: "200", at: "2026-11-02T01:10:00Z"),
                    H.sample(id: "4", metric: "bytes_out", volume: "30", at: "2026-11-02T01:40:00Z")],  // reset
                   endOfInput: true)
        let q = CounterIncreaseTests.latest(h)
        #expect(q["2026-11-02T00:00:00Z"]?.quantity == "60")
        #expect(q["2026-11-02T01:00:00Z"]?.quantity == "70")  // 160 → 200, then a restart to 30
    }

    @Test func aLateLastPointRevisesTheNextWindowsBaseline() throws {
        let h = try EngineHarness()
        try h.feed([H.sample(id: "1", metric: "bytes_out", volume: "100", at: "2026-11-02T00:10:00Z"),
                    H.sample(id: "2", metric: "bytes_out", volume: "160", at: "2026-11-02T00:30:00Z"),
                    H.sample(id: "3", metric: "bytes_out", volume: "200", at: "2026-11-02T01:10:00Z"),
                    H.sample(id: "4", metric: "bytes_out", volume: "260", at: "2026-11-02T02:10:00Z")])
        #expect(CounterIncreaseTests.latest(h)["2026-11-02T01:00:00Z"]?.quantity == "40")
        // A late 00:50 reading of 190: hour 0 rises to 90 and hour 1 starts from 190.
        try h.feed([H.sample(id: "late", metric: "bytes_out", volume: "190", at: "2026-11-02T00:50:00Z")])
        let q = CounterIncreaseTests.latest(h)
        #expect(q["2026-11-02T00:00:00Z"]?.quantity == "90")
        #expect(q["2026-11-02T00:00:00Z"]?.revision == 2)
        #expect(q["2026-11-02T01:00:00Z"]?.quantity == "10")
        #expect(q["2026-11-02T01:00:00Z"]?.revision == 2)
    }
}
