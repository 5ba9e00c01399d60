import Foundation
import Testing
import TallyCore
import TallyLMDB
import TallyRuntime
import TallyAudit
@testable import TallyIndex
@testable import TallyService

/// The index's rollups against the record scan: random frames with revisions (some changing
/// currency, so a frame moves between cells), resends and conflicts, several scopes and
/// periods (whole days and ragged edges). Every summary, report and overview number read from
/// the rollups must equal the one computed from every frame's compact record.
@Suite struct RollupTests {
    typealias Compact = CompactSummaryTests

    /// CompactSummaryTests' frames, plus revisions that change a frame's currency and price.
    static func records(seed: UInt64) -> [FrameIndex.Record] {
        var values = Compact.records(seed: seed).map(\.value)
        var rng = Compact.Generator(state: seed &+ 1000)
        for n in stride(from: 1, to: 600, by: 10) {
            var object = try! JSONSerialization.jsonObject(with: Data(Compact.frame(n, revision: 4, &rng))) as! [String: Any]
            object["currency"] = "CHF"
            object["price"] = ["-0.25", "99.000001", "0"][n % 3]
            values.append(Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])))
        }
        values.shuffle(using: &rng)
        return values.enumerated().map { FrameIndex.Record(partition: Int32($0.offset % 2), offset: Int64($0.offset / 2), value: $0.element) }
    }

    static let periods: [(EventTime, EventTime)] = Compact.periods + [
        (Compact.time("2026-11-03T05:00:00Z"), Compact.time("2026-11-20T17:30:00Z")),
        (Compact.time("2026-11-05T03:00:00Z"), Compact.time("2026-11-05T09:00:00Z")),
        (Compact.time("2026-10-01T00:00:00Z"), Compact.time("2027-01-01T00:00:00Z")),
    ]

    static let groupings: [[String]] = [[], ["type"], ["time-d", "type"], ["time"], ["project_id"], ["time-m", "service"],
                                        ["time-w", "currency"], ["tenant_id", "res_type"], ["time-y", "unit"], ["time", "type"],
                                        ["flavor_name"]]
    static let filters: [[String: Set<String>]] = [[:], ["type": ["instance"]], ["currency": ["CHF", "USD"]],
                                                   ["service": ["svc-volume.size", "image.size"]], ["region": ["r1"]]]

    func withIndex(_ body: (FrameIndex, String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tally-rollup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = try FrameIndex(path: path, mapSizeMiB: 64)
        try body(index, path)
        index.close()
    }

    static func ingest(_ index: FrameIndex, seed: UInt64) throws {
        let records = records(seed: seed)
        var start = 0, size = 1
        while start < records.count {
            try index.apply(Array(records[start..<min(records.count, start + size)]))
            start += size
            size = size == 1 ? 131 : 1  // single frames and batches: deltas summed in and across transactions
        }
    }

    static func text(_ s: RatedSummary) -> [String] {
        s.rows.map { "\($0.begin.micros) \($0.end.micros) \($0.groups) \($0.qty.canonicalText) \($0.rate.canonicalText)" }
    }

    @Test(arguments: [11, 12] as [UInt64])
    func everySummaryAndOverviewNumberFromTheRollupsEqualsTheRecordScan(seed: UInt64) throws {
        try withIndex { index, _ in
            try Self.ingest(index, seed: seed)
            for (begin, end) in Self.periods {
                let period = QueryPeriod(begin: begin, end: end)
                for scopes in Compact.scopeSets {
                    let compact = try index.summaries(scopes: scopes, from: begin, to: end)
                    if scopes != ["nobody"] { #expect(!compact.isEmpty) }
                    for groupby in Self.groupings {
                        for filter in Self.filters {
                            let scanned = RatedSummary(frames: compact, begin: begin, end: end, groupby: groupby, filters: filter)
                            let answerable = RatedSummary.answerableFromRollups(groupby: groupby, filters: filter)
                            #expect(answerable == !(groupby.contains("flavor_name") || filter.keys.contains("region")))
                            if answerable {
                                let cells = try index.rollupCells(scopes: scopes, from: begin, to: end,
                                                                  byWindow: groupby.last(where: RatedSummary.timeKeys.contains) == "time")
                                #expect(cells != nil)
                            }
                            let computed = try RatedSummary.compute(index: index, scopes: scopes, begin: begin, end: end,
                                                                    groupby: groupby, filters: filter)
                            #expect(Self.text(computed) == Self.text(scanned), "groupby \(groupby) filters \(filter) \(String(describing: scopes)) \(begin)…\(end)")
                            #expect(computed.groupKeys == scanned.groupKeys)
                        }
                    }
                    let project = scopes?.count == 1 ? scopes!.first : nil
                    for (bucket, prefix) in [("hour", 13), ("day", 10), ("month", 7)] {
                        let expected = OverviewPage.content(frames: compact, period: period, project: project, bucket: bucket,
                                                            prefix: prefix, principal: .noauth)
                        let principal: Principal = scopes.map { Principal(name: "reader", role: .reader, projects: $0) } ?? .noauth
                        let actual = try OverviewPage.content(index: index, period: period, project: project, bucket: bucket,
                                                              prefix: prefix, principal: principal)
                        let expectedForCaller = OverviewPage.content(frames: compact, period: period, project: project, bucket: bucket,
                                                                     prefix: prefix, principal: principal)
                        #expect(actual == expectedForCaller, "overview by \(bucket) for \(String(describing: scopes)) \(begin)…\(end)")
                        #expect(!expected.isEmpty)
                    }
                }
            }
        }
    }

    /// Every cell as bytes, per rollup database.
    static func dump(_ index: FrameIndex) throws -> [[[UInt8]]] {
        try index.environment.read { txn in
            var out: [[[UInt8]]] = []
            for database in [index.rollupWindows, index.rollupDays, index.rollupResources] {
                var cells: [[UInt8]] = []
                try txn.forEach(in: database) { cells.append(Array($0.key) + [0xFF] + Array($0.value)); return true }
                out.append(cells)
            }
            return out
        }
    }

    @Test func rollupsMaintainedFrameByFrameEqualOnesBuiltFromTheRecords() throws {
        try withIndex { index, _ in
            try Self.ingest(index, seed: 21)
            let maintained = try Self.dump(index)
            #expect(maintained.allSatisfy { !$0.isEmpty })
            try index.rebuildRollups()
            #expect(try Self.dump(index) == maintained)
        }
    }

    @Test func anIndexOfSchemaTwoGetsItsRollupsWhenOpened() throws {
        try withIndex { index, path in
            try Self.ingest(index, seed: 22)
            let maintained = try Self.dump(index)
            let (begin, end) = Self.periods[0]
            let before = Self.text(try RatedSummary.compute(index: index, scopes: nil, begin: begin, end: end, groupby: ["time-d", "type"], filters: [:]))
            // What schema 2 left: compact records and strings, no rollups.
            try index.environment.write { txn in
                try txn.clear(index.rollupWindows)
                try txn.clear(index.rollupDays)
                try txn.clear(index.rollupResources)
                try txn.put(index.meta, key: FrameIndex.schemaKey, value: FrameIndexKeys.time(2))
            }
            #expect(try index.rollupCells(scopes: nil, from: begin, to: end, byWindow: false)?.isEmpty == true)
            index.close()

            let reopened = try FrameIndex(path: path, mapSizeMiB: 64)
            defer { reopened.close() }
            #expect(try Self.dump(reopened) == maintained)
            #expect(Self.text(try RatedSummary.compute(index: reopened, scopes: nil, begin: begin, end: end, groupby: ["time-d", "type"],
                                                       filters: [:])) == before)
            #expect(try reopened.environment.read { try $0.get(reopened.meta, key: FrameIndex.schemaKey) }
                .map { FrameIndexKeys.readTime($0) } == FrameIndex.schemaVersion)
        }
    }

    @Test func aSumThatDoesNotFitIsAnsweredFromTheRecords() throws {
        try withIndex { index, _ in
            var rng = Compact.Generator(state: 5)
            // Same scope, window and metric (n ≡ 0 mod 4, same hour): one cell, prices 1E+30 and 1E-12.
            var values: [[UInt8]] = []
            for (n, price) in [(0, "1E+30"), (4, "0.000000000001")] {
                var object = try JSONSerialization.jsonObject(with: Data(Compact.frame(n, revision: 1, &rng))) as! [String: Any]
                object["price"] = price
                object["window"] = ["start": "2026-11-02T00:00:00Z", "end": "2026-11-02T01:00:00Z"]
                object["scope"] = ["id": "proj-a", "kind": "project_id"]
                object["currency"] = "EUR"
                object["service"] = "svc"
                object["unit"] = "u"
                object["metric"] = "instance"
                values.append(Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])))
            }
            try index.apply(values.enumerated().map { .init(partition: 0, offset: Int64($0.offset), value: $0.element) })
            let (begin, end) = Self.periods[0]
            #expect(try index.rollupCells(scopes: ["proj-a"], from: begin, to: end, byWindow: true) == nil)
            let computed = try RatedSummary.compute(index: index, scopes: ["proj-a"], begin: begin, end: end, groupby: ["type"], filters: [:])
            #expect(computed.rows.map(\.rate.canonicalText) == ["1" + String(repeating: "0", count: 30) + ".000000000001"])
        }
    }

    @Test func aRollupSumIsExactAndFlagsWhatDoesNotFit() {
        var sum = RollupSum()
        for text in ["0.1", "0.2", "-0.3", "12.345", "1E+3"] { sum.add(ExactDecimal(text)!) }
        #expect(ExactSum.of([sum.value]).canonicalText == "1012.345")
        sum.add(ExactDecimal("12.345")!, negated: true)
        #expect(ExactSum.of([sum.value]).canonicalText == "1000" && !sum.overflowed)
        sum.add(ExactDecimal(coefficient: .max, exponent: 0))
        #expect(sum.overflowed)
    }
}
