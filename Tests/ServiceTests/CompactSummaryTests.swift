import Foundation
import TallyAudit
import Testing
import TallyCore
import TallyLMDB
import TallyWire
@testable import TallyIndex
@testable import TallyService
import TallySeededRandom

/// The index's compact summary records against the frames' own JSON: random frames with
/// revisions (out of order, resent), several scopes, currencies, statuses and periods. Every
/// number a summary, report or the overview shows is computed once from the compact values
/// and once from the decoded frames (as the service did before), and must be identical.
@Suite struct CompactSummaryTests {
    typealias Generator = SplitMix64

    static let scopes = ["proj-a", "proj-b", "proj-c", "tenant-d"]
    static let metrics = ["instance", "volume.size", "image.size", "network.outgoing.bytes"]
    static let prices = ["0.0000001", "12.5", "-3", "1e-3", "0.10", "7", "123456789.987654321", "0", "2.5E+2", "0.333333333333"]

    /// One frame's JSON, written by JSONSerialization (independent of the index's encoder).
    static func frame(_ n: Int, revision: Int, _ rng: inout Generator) -> [UInt8] {
        // The window and scope are part of the frame id: every revision keeps them.
        var own = Generator(state: UInt64(n) &* 7919)
        let hour = Int(own.next() % (24 * 75))  // 2026-10-10 … 2026-12-24
        let start = EventTime(micros: 1_791_590_400_000_000 + Int64(hour) * 3_600_000_000)
        let daily = n % 5 == 0
        let end = EventTime(micros: start.micros + (daily ? 86_400_000_000 : 3_600_000_000))
        let scope = scopes[n % scopes.count]
        var groupby: [String: Any] = ["flavor_name": ["m1.small", "m1.large"][Int(rng.next() % 2)], "id": "vm-\(n % 12)"]
        if n % 3 == 0 { groupby["user_id"] = "user-\(n % 4)" }
        if n % 7 == 0 { groupby["project_name"] = "Name of \(scope)" }
        var metadata: [String: Any] = ["region": ["r1", "r2", "r3"][Int(rng.next() % 3)]]
        if n % 4 == 0 { metadata["vcpus"] = Int(rng.next() % 8) + 1 }
        if n % 11 == 0 { metadata["scope_name"] = "Meta \(scope)" }
        if n % 13 == 0 { metadata["project_name"] = "" }
        var object: [String: Any] = [
            "frame_id": String(format: "%032x", n), "revision": revision,
            "scope": ["id": scope, "kind": scope.hasPrefix("tenant") ? "tenant_id" : "project_id"],
            "metric": metrics[n % metrics.count], "resource_id": "vm-\(n % 12)",
            "window": ["start": Timestamps.iso8601(start), "end": Timestamps.iso8601(end)],
            "quantity": ["1", "0.5", "3600", "1.000"][Int(rng.next() % 4)],
            "price": prices[Int(rng.next() % UInt64(prices.count))],
            "unit": ["instance", "GiB", "B"][n % 3], "currency": n % 9 == 0 ? "USD" : "EUR",
            "status": n % 17 == 0 ? "rating-failed" : "rated", "groupby": groupby, "metadata": metadata,
        ]
        if n % 6 != 0 { object["service"] = "svc-" + metrics[n % metrics.count] }
        if n % 5 == 1 { object["user_id"] = "top-user-\(n % 3)" }
        return Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// 600 frames, a third with later revisions, delivered shuffled with resends, in batches.
    static func records(seed: UInt64) -> [FrameIndex.Record] {
        var rng = Generator(state: seed)
        var values: [[UInt8]] = []
        for n in 0..<600 {
            values.append(frame(n, revision: 1, &rng))
            if n % 3 == 0 { values.append(frame(n, revision: 2, &rng)) }
            if n % 9 == 0 { values.append(frame(n, revision: 3, &rng)) }
        }
        values += values.prefix(40)  // resent copies
        values.shuffle(using: &rng)
        return values.enumerated().map { FrameIndex.Record(partition: Int32($0.offset % 3), offset: Int64($0.offset / 3), value: $0.element) }
    }

    func withIndex(_ body: (FrameIndex, String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-compact-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = try FrameIndex(path: path, mapSizeMiB: 64)
        try body(index, path)
        index.close()
    }

    static func time(_ text: String) -> EventTime { try! TimestampParser.parse(text) }

    static let periods: [(EventTime, EventTime)] = [
        (time("2026-11-01T00:00:00Z"), time("2026-12-01T00:00:00Z")),
        (time("2026-11-09T00:00:00Z"), time("2026-11-16T00:00:00Z")),
        (time("2026-11-20T00:00:00Z"), time("2026-11-21T00:00:00Z")),
        (time("2026-10-15T06:00:00Z"), time("2026-12-15T18:00:00Z")),
    ]
    static let scopeSets: [Set<String>?] = [nil, ["proj-a"], ["proj-a", "tenant-d"], ["nobody"]]

    static func same(_ a: ExactDecimal, _ b: ExactDecimal) -> Bool { a.coefficient == b.coefficient && a.exponent == b.exponent }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func everyNumberFromTheCompactValuesEqualsTheDecodedFrames(seed: UInt64) throws {
        try withIndex { index, _ in
            let records = Self.records(seed: seed)
            for start in stride(from: 0, to: records.count, by: 97) {
                try index.apply(Array(records[start..<min(records.count, start + 97)]))
            }
            #expect(try index.counts().frames == 600)
            for (begin, end) in Self.periods {
                let period = QueryPeriod(begin: begin, end: end)
                for scopes in Self.scopeSets {
                    let decoded = try index.frames(scopes: scopes, from: begin, to: end)
                    let compact = try index.summaries(scopes: scopes, from: begin, to: end)
                    if scopes != ["nobody"] { #expect(!decoded.isEmpty) }
                    try Self.expectSameFields(decoded, compact)
                    Self.expectSameSummaries(decoded, compact, begin: begin, end: end)
                    // Reports (/tally/v1/report, the project page): the old ledger read each frame's bytes.
                    var fromBytes = FrameLedger()
                    for frame in decoded { fromBytes.add(frame.bytes) }
                    let project = scopes?.count == 1 ? scopes!.first : nil
                    for grouping in UsageReport.Grouping.allCases {
                        let expected = UsageReport(ledger: fromBytes, from: begin, to: end, scope: project, grouping: grouping)
                        let actual = UsageReport(ledger: ReportRoutes.ledger(compact), from: begin, to: end, scope: project, grouping: grouping)
                        #expect(actual.json() == expected.json(), "report by \(grouping) for \(String(describing: scopes))")
                        #expect(actual.csv() == expected.csv())
                        #expect(actual.table() == expected.table())
                    }
                    // The overview's totals and completeness are tally report's, from the frames' bytes.
                    let bill = UsageReport(ledger: fromBytes, from: begin, to: end, scope: project)
                    let figures = OverviewFigures(frames: compact, period: period, project: project, prefix: 10)
                    #expect(figures.totals.map { "\($0.currency) \($0.price.canonicalText) \($0.frames)" }
                            == bill.totals.map { "\($0.currency) \($0.price.canonicalText) \($0.frames)" })
                    #expect(figures.completeness == bill.completeness)
                    // The overview: the whole page content, for each bucket size.
                    for (bucket, prefix) in [("hour", 13), ("day", 10), ("month", 7)] {
                        let expected = OverviewPage.content(frames: decoded, period: period, project: project, bucket: bucket,
                                                            prefix: prefix, principal: .noauth)
                        let actual = OverviewPage.content(frames: compact, period: period, project: project, bucket: bucket,
                                                          prefix: prefix, principal: .noauth)
                        #expect(actual == expected, "overview by \(bucket) for \(String(describing: scopes))")
                    }
                }
            }
        }
    }

    /// Every field, frame by frame (the same frames, the same latest revisions).
    static func expectSameFields(_ decoded: [IndexedFrame], _ compact: [FrameSummary]) throws {
        #expect(compact.count == decoded.count)
        let byId = Dictionary(uniqueKeysWithValues: compact.map { ($0.frameId, $0) })
        for frame in decoded {
            let summary = try #require(byId[frame.frameId])
            #expect(summary.revision == frame.revision && summary.scope == frame.scope && summary.scopeKind == frame.scopeKind)
            #expect(summary.metric == frame.metric && summary.service == frame.service && summary.resource == frame.resource)
            #expect(summary.user == frame.user && summary.unit == frame.unit && summary.currency == frame.currency)
            #expect(summary.status == frame.status && summary.scopeName == frame.scopeName)
            #expect(summary.windowStart == frame.windowStart && summary.windowEnd == frame.windowEnd)
            #expect(same(summary.quantity, frame.quantity) && same(summary.price, frame.price), "\(frame.frameId)")
            #expect(summary.groupby == frame.groupby && summary.metadata == frame.metadata)
            for key in ["type", "project_id", "tenant_id", "id", "user_id", "flavor_name", "region", "vcpus", "service", "absent"] {
                #expect(summary.value(of: key) == frame.value(of: key), "\(key) of \(frame.frameId)")
            }
        }
    }

    /// `/v2/summary` and `/v1/report/{summary,total}`: grouped and filtered sums, row by row.
    static func expectSameSummaries(_ decoded: [IndexedFrame], _ compact: [FrameSummary], begin: EventTime, end: EventTime) {
        let groupings: [[String]] = [[], ["type"], ["time-d", "type"], ["project_id", "flavor_name"], ["time"], ["time-m", "region"],
                                     ["user_id"], ["time-w", "vcpus"], ["tenant_id", "res_type"], ["time-y"]]
        let filters: [[String: Set<String>]] = [[:], ["type": ["instance"]], ["region": ["r1", "r3"]], ["flavor_name": ["m1.large"], "type": ["volume.size"]]]
        for groupby in groupings {
            for filter in filters {
                let expected = RatedSummary(frames: decoded, begin: begin, end: end, groupby: groupby, filters: filter)
                let actual = RatedSummary(frames: compact, begin: begin, end: end, groupby: groupby, filters: filter)
                func text(_ s: RatedSummary) -> [String] {
                    s.rows.map { "\($0.begin.micros) \($0.end.micros) \($0.groups) \($0.qty.canonicalText) \($0.rate.canonicalText)" }
                }
                #expect(text(actual) == text(expected), "groupby \(groupby) filters \(filter)")
                #expect(actual.groupKeys == expected.groupKeys)
            }
        }
    }

    @Test func anIndexOfTheOldSchemaIsUpgradedWhenOpened() throws {
        try withIndex { index, path in
            let records = Self.records(seed: 7)
            try index.apply(records)
            let (begin, end) = Self.periods[3]
            let before = try index.summaries(scopes: nil, from: begin, to: end)
            // What schema 1 left: by_scope keys with a one-byte marker, no string table, no version.
            try index.environment.write { txn in
                var keys: [[UInt8]] = []
                try txn.forEach(in: index.byScope) { keys.append(Array($0.key)); return true }
                for key in keys { try txn.put(index.byScope, key: key, value: [1]) }
                try txn.clear(index.strings.textToId)
                try txn.clear(index.strings.idToText)
                #expect(try txn.delete(index.meta, key: FrameIndex.schemaKey))
            }
            #expect(throws: FrameIndexError.self) { try index.summaries(scopes: nil, from: begin, to: end) }
            index.close()

            let reopened = try FrameIndex(path: path, mapSizeMiB: 64)
            defer { reopened.close() }
            let after = try reopened.summaries(scopes: nil, from: begin, to: end)
            try Self.expectSameFields(try reopened.frames(scopes: nil, from: begin, to: end), after)
            #expect(after.map(\.frameId) == before.map(\.frameId))
            #expect(after.map(\.price.canonicalText) == before.map(\.price.canonicalText))
            #expect(try reopened.environment.read { try $0.get(reopened.meta, key: FrameIndex.schemaKey) }
                .map { FrameIndexKeys.readTime($0) } == FrameIndex.schemaVersion)
            // Indexing goes on after the upgrade, with the upgraded string table.
            let more = Self.frame(5_000, revision: 1, &Self.fixedGenerator)
            try reopened.apply([.init(partition: 0, offset: 10_000, value: more)])
            try Self.expectSameFields(try reopened.frames(scopes: nil, from: begin, to: end),
                                      try reopened.summaries(scopes: nil, from: begin, to: end))
        }
    }

    nonisolated(unsafe) static var fixedGenerator = Generator(state: 99)

    @Test func anIndexOfANewerSchemaIsRefusedWithAClearError() throws {
        try withIndex { index, path in
            try index.environment.write { txn in try txn.put(index.meta, key: FrameIndex.schemaKey, value: FrameIndexKeys.time(99)) }
            index.close()
            #expect { _ = try FrameIndex(path: path, mapSizeMiB: 64) } throws: { error in
                "\(error)".contains("schema 99") && "\(error)".contains("delete the index directory")
            }
        }
    }
}
