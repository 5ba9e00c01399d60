import Foundation
import Testing
import TallyCore
import TallyWire
@testable import TallyIndex
@testable import TallyService

/// The frame index over a real LMDB environment, with frames written by hand.
@Suite struct FrameIndexTests {
    static func frame(id: String, revision: Int = 1, scope: String, metric: String = "instance", start: String,
                      price: String, quantity: String = "1", flavor: String = "m1.small") -> [UInt8] {
        let end = start.replacingOccurrences(of: "T00:", with: "T01:")
        return Array("""
        {"currency":"EUR","frame_id":"\(id)","groupby":{"flavor_name":"\(flavor)"},"metadata":{},"metric":"\(metric)",\
        "price":"\(price)","quantity":"\(quantity)","resource_id":"vm-\(id.prefix(2))","revision":\(revision),\
        "scope":{"id":"\(scope)","kind":"project_id"},"service":"\(metric)","status":"rated","unit":"instance",\
        "window":{"end":"\(end)","start":"\(start)"}}
        """.utf8)
    }

    static func id(_ n: Int) -> String { String(format: "%032x", n) }

    func withIndex(_ body: (FrameIndex, String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-index-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = try FrameIndex(path: path, mapSizeMiB: 64)
        try body(index, path)
        index.close()
    }

    @Test func keepsTheLatestRevisionDropsResendsAndCountsConflicts() throws {
        try withIndex { index, path in
            let first = Self.frame(id: Self.id(1), scope: "a", start: "2026-11-02T00:00:00Z", price: "1")
            let second = Self.frame(id: Self.id(1), revision: 2, scope: "a", start: "2026-11-02T00:00:00Z", price: "1.5")
            let forged = Self.frame(id: Self.id(1), scope: "a", start: "2026-11-02T00:00:00Z", price: "9")
            // Revision 2 arrives before a resend of revision 1: the latest stays revision 2.
            try index.apply([.init(partition: 0, offset: 0, value: first), .init(partition: 0, offset: 1, value: second),
                             .init(partition: 1, offset: 0, value: first), .init(partition: 1, offset: 1, value: forged),
                             .init(partition: 1, offset: 2, value: Array("not json".utf8))])
            let counts = try index.counts()
            #expect(counts == FrameIndex.Counts(frames: 1, revisions: 2, records: 5, duplicates: 1, conflicts: 1, malformed: 1))
            #expect(try index.frame(id: Self.id(1))?.price == ExactDecimal("1.5"))
            #expect(try index.revisions(of: Self.id(1)) == [first, second])
            #expect(try index.storedOffsets() == [0: 2, 1: 3])
            index.close()
            // Reopened: the same state, so a restart resumes at the stored offsets.
            let reopened = try FrameIndex(path: path, mapSizeMiB: 64)
            #expect(try reopened.storedOffsets() == [0: 2, 1: 3])
            #expect(try reopened.counts() == counts)
            reopened.close()
        }
    }

    @Test func readsOnlyTheScopesAskedAndTheWindowStartsInThePeriod() throws {
        try withIndex { index, _ in
            var records: [FrameIndex.Record] = []
            for (n, (scope, day)) in [("a", "02"), ("b", "02"), ("a", "03"), ("c", "04"), ("a", "05")].enumerated() {
                records.append(.init(partition: 0, offset: Int64(n),
                                     value: Self.frame(id: Self.id(n + 10), scope: scope, start: "2026-11-\(day)T00:00:00Z", price: "\(n + 1)")))
            }
            try index.apply(records)
            let from = try #require(EventTime(iso: "2026-11-02T00:00:00Z")), to = try #require(EventTime(iso: "2026-11-05T00:00:00Z"))
            #expect(try index.frames(scopes: ["a"], from: from, to: to).map(\.price) == [ExactDecimal("1"), ExactDecimal("3")])
            #expect(try index.frames(scopes: nil, from: from, to: to).map(\.scope) == ["a", "b", "a", "c"])
            #expect(try index.frames(scopes: [], from: from, to: to).isEmpty)
            #expect(try index.scopeStates().map(\.scope) == ["a", "b", "c"])
            #expect(try index.scopeStates().first?.lastProcessed == EventTime(iso: "2026-11-05T01:00:00Z"))
        }
    }

    @Test func summaryGroupsByTypeAndCalendarPeriodsExactly() throws {
        let frames = [
            Self.frame(id: Self.id(1), scope: "a", start: "2026-11-02T00:00:00Z", price: "0.1"),
            Self.frame(id: Self.id(2), scope: "a", start: "2026-11-03T00:00:00Z", price: "0.2"),
            Self.frame(id: Self.id(3), scope: "b", metric: "volume.size", start: "2026-11-09T00:00:00Z", price: "0.0000001"),
        ].compactMap(IndexedFrame.init(bytes:))
        let from = try #require(EventTime(iso: "2026-11-01T00:00:00Z")), to = try #require(EventTime(iso: "2026-12-01T00:00:00Z"))
        let byType = RatedSummary(frames: frames, begin: from, end: to, groupby: ["type"], filters: [:])
        #expect(byType.rows.map { $0.groups } == [["instance"], ["volume.size"]])
        #expect(byType.rows.map { $0.rate.canonicalText } == ["0.3", "0.0000001"])
        let weekly = RatedSummary(frames: frames, begin: from, end: to, groupby: ["time-w"], filters: ["type": ["instance"]])
        #expect(weekly.rows.count == 1)  // 2 and 3 November 2026 are in one ISO week (Mon 2 – Sun 8)
        #expect(weekly.rows.first?.begin == EventTime(iso: "2026-11-02T00:00:00Z"))
        let monthly = RatedSummary(frames: frames, begin: from, end: to, groupby: ["time-m", "project_id"], filters: [:])
        #expect(monthly.rows.map { $0.rate.canonicalText } == ["0.3", "0.0000001"])
        #expect(monthly.rows.first?.end == EventTime(iso: "2026-12-01T00:00:00Z"))
    }

    @Test func aReaderSeesOnlyTheirProjectsWhateverTheyAsk() {
        let reader = Principal(name: "r", role: .reader, projects: ["a"])
        #expect(VisibleScopes.of(reader) == ["a"])
        #expect(VisibleScopes.of(reader, asked: ["b"]) == [])
        #expect(VisibleScopes.of(reader, asked: ["a", "b"]) == ["a"])
        #expect(VisibleScopes.of(.noauth) == nil)
        #expect(VisibleScopes.of(.noauth, asked: ["b"]) == ["b"])
    }
}

extension EventTime {
    init?(iso: String) {
        guard let time = try? TimestampParser.parse(iso) else { return nil }
        self = time
    }
}
