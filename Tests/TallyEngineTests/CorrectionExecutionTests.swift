import Testing
import TallyCore
import TallyEngine
import TallyWire

/// The rater executes correction commands in its own revision sequence and hash chain:
/// the correction is the next revision as the rater knows it, chained after its own last
/// frame; a command id runs once; a stale command is skipped; a late sample afterwards
/// is the next revision after the correction.
@Suite struct CorrectionExecutionTests {
    typealias H = EngineHarness

    static func command(id: String, frame: [String: Any], bytes: [UInt8], price: String, base: Int) throws -> [UInt8] {
        guard case var .object(body) = try CanonicalJSONParser.parse(bytes) else { Issue.record("not a frame"); return [] }
        body["price"] = .string(price)
        let item = CorrectionCommand.Item(frameId: frame["frame_id"] as! String, baseRevision: base, body: body)
        return CorrectionCommand(replayId: id, part: 0, parts: 1, author: "ana", reason: "fix", rules: "log@1", ruleset: nil,
                                 from: "x", to: "y", items: [item]).bytes
    }

    @Test func aCorrectionIsTheRatersNextRevisionOnItsChainAndALateSampleFollowsIt() throws {
        let h = try H()
        try h.feed([H.sample(id: "a", volume: "1", at: "2026-11-02T00:10:00Z"),
                    H.sample(id: "b", volume: "1", at: "2026-11-02T01:30:00Z")])
        let first = try #require(h.sent.first { $0.topic == "tally.frames" })
        let frame = H.parse(first.value)
        #expect(frame["revision"] as? Int == 1)

        let bytes = try Self.command(id: "r1", frame: frame, bytes: first.value, price: "7", base: 1)
        guard case .executed(let receipt) = try h.rater.receiveCorrection(bytes, offset: 0) else {
            Issue.record("the command was not executed"); return
        }
        #expect(receipt.corrected == [frame["frame_id"] as! String: 2])
        // The same id again (a second apply, or the same record re-read) does nothing.
        guard case .passedOver = try h.rater.receiveCorrection(bytes, offset: 1) else { Issue.record("executed twice"); return }
        // Another replay that compared with revision 1, now stale: skipped, with the reason.
        let stale = try Self.command(id: "r2", frame: frame, bytes: first.value, price: "9", base: 1)
        guard case .executed(let skipped) = try h.rater.receiveCorrection(stale, offset: 2) else { Issue.record("not read"); return }
        #expect(skipped.corrected.isEmpty && skipped.skipped.count == 1)
        let out = try h.feed([])
        let corrections = h.frames(out)
        #expect(corrections.count == 1)
        let correction = try #require(corrections.first)
        #expect(correction["revision"] as? Int == 2)
        #expect(correction["previous_price"] as? String == "0.5")
        #expect(correction["price_delta"] as? String == "6.5")
        #expect(correction["previous_hash"] as? String == frame["content_hash"] as? String)
        #expect((correction["correction"] as? [String: Any])?["replay_id"] as? String == "r1")
        #expect(out.filter { $0.topic == "tally.corrections" }.count == 2, "one receipt per executed command part")

        // A late sample: revision 3, re-priced by the rater's own rules, after the correction.
        let late = try h.feed([H.sample(id: "late", volume: "2", at: "2026-11-02T00:20:00Z")])
        let revised = try #require(h.frames(late).first)
        #expect(revised["revision"] as? Int == 3)
        #expect(revised["quantity"] as? String == "3")
        #expect(revised["previous_price"] as? String == "7")
        #expect(revised["price_delta"] as? String == "-5.5")
        #expect(revised["previous_hash"] as? String == correction["content_hash"] as? String)

        // Executed ids and the topic offset survive a restart.
        _ = try h.restart()
        #expect(try h.rater.correctionsNextOffset() == 3)
        #expect(try h.rater.correctionExecuted(replayId: "r1", part: 0))
    }

    static func item(_ frame: [String: Any], _ bytes: [UInt8], price: String, partition: Int32?) throws -> CorrectionCommand.Item {
        struct NotAFrame: Error {}
        guard case var .object(body) = try CanonicalJSONParser.parse(bytes) else { throw NotAFrame() }
        body["price"] = .string(price)
        return CorrectionCommand.Item(frameId: frame["frame_id"] as! String, baseRevision: 1, body: body, partition: partition)
    }

    /// Group mode (docs/SCALE.md): a task executes the items of its own chain only, and its
    /// receipt names its partition; a part with no item of its chain is not its to answer;
    /// an item naming no partition (a command written before items named one) belongs to
    /// the task holding its window.
    @Test func aGroupTaskExecutesTheItemsOfItsOwnChainAndSaysWhichPartitionItAnswersFor() throws {
        let h = try H(ownedFramesPartition: 1)
        try h.feed([H.sample(id: "a", volume: "1", at: "2026-11-02T00:10:00Z", resource: "r1"),
                    H.sample(id: "b", volume: "2", at: "2026-11-02T00:20:00Z", resource: "r2"),
                    H.sample(id: "c", volume: "1", at: "2026-11-02T01:30:00Z", resource: "r1"),
                    H.sample(id: "d", volume: "1", at: "2026-11-02T01:30:00Z", resource: "r2")], partition: 1)
        let sent = h.sent.filter { $0.topic == "tally.frames" }
        let r1 = try #require(sent.first { H.parse($0.value)["resource_id"] as? String == "r1" })
        let r2 = try #require(sent.first { H.parse($0.value)["resource_id"] as? String == "r2" })
        #expect(r1.partition == 1 && r2.partition == 1)
        let f1 = H.parse(r1.value), f2 = H.parse(r2.value)

        func command(_ id: String, _ items: [CorrectionCommand.Item]) -> [UInt8] {
            CorrectionCommand(replayId: id, part: 0, parts: 1, author: "ana", reason: "fix", rules: "log@1", ruleset: nil,
                              from: "x", to: "y", items: items).bytes
        }
        // r1's item names this task's chain, r2's another partition's: only r1 is corrected.
        let mixed = command("g1", [try Self.item(f1, r1.value, price: "7", partition: 1), try Self.item(f2, r2.value, price: "9", partition: 0)])
        guard case .executed(let receipt) = try h.rater.receiveCorrection(mixed, offset: 0) else { Issue.record("not executed"); return }
        #expect(receipt.corrected == [f1["frame_id"] as! String: 2] && receipt.skipped.isEmpty, "\(receipt)")
        #expect(receipt.partition == 1)
        // Every item another partition's: nothing to do, no receipt.
        let others = command("g2", [try Self.item(f2, r2.value, price: "9", partition: 0)])
        guard case .passedOver = try h.rater.receiveCorrection(others, offset: 1) else { Issue.record("not passed over"); return }
        // No partition named: the task holding the window executes it.
        let unnamed = command("g3", [try Self.item(f2, r2.value, price: "9", partition: nil)])
        guard case .executed(let third) = try h.rater.receiveCorrection(unnamed, offset: 2) else { Issue.record("not executed"); return }
        #expect(third.corrected == [f2["frame_id"] as! String: 2] && third.partition == 1, "\(third)")

        let out = try h.feed([])
        #expect(h.frames(out).map { $0["price"] as? String } == ["7", "9"])
        #expect(out.filter { $0.topic == "tally.frames" }.allSatisfy { $0.partition == 1 })
        let receipts = out.filter { $0.topic == "tally.corrections" }.map { H.parse($0.value) }
        #expect(receipts.count == 2 && receipts.allSatisfy { $0["partition"] as? Int == 1 }, "\(receipts)")
        #expect(try h.rater.correctionsNextOffset() == 3)
        #expect(try !h.rater.correctionExecuted(replayId: "g2", part: 0))
    }
}
