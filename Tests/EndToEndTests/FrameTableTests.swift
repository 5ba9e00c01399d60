import Foundation
import Testing
@testable import TallyAudit
import TallyCore
import TallyRuntime
import TallyWire
import TallySeededRandom
@testable import TallyRater

/// `tally rate`'s table is built from the frames' fields as they are sealed. Held against the
/// way it was built before (every frame kept and read back from its JSON with
/// `JSONSerialization`) on random sample files: late and out-of-order samples (revisions, whose
/// latest price alone counts in the total), repeated ids, counters, a tier-priced service,
/// bad lines. Same text, byte for byte.
@Suite struct FrameTableTests {
    static let seed: UInt64 = 0x7AB1_E5ED

    /// The table as `FrameTable.render(_ frames: [[UInt8]])` built it, from the frames' JSON,
    /// except the total: that summed the windows' `ExactDecimal`s in a dictionary's order, and
    /// each addition rounds to 28 digits, so its last digit moved from one dictionary to the
    /// next (this test found it); here, as now, an exact sum.
    static func reference(_ frames: [[UInt8]]) -> String {
        var rows: [[String]] = [["window start", "metric", "scope", "resource", "groupby", "quantity", "unit", "price", "rev"]]
        var latest: [String: (revision: Int, currency: String, price: ExactDecimal)] = [:]
        for bytes in frames {
            guard let f = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { continue }
            let window = f["window"] as? [String: Any] ?? [:]
            let groupby = (f["groupby"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let price = f["price"] as? String ?? ""
            let currency = f["currency"] as? String ?? ""
            let revision = f["revision"] as? Int ?? 0
            if let p = ExactDecimal(price), let id = f["frame_id"] as? String, (latest[id]?.revision ?? Int.min) < revision {
                latest[id] = (revision, currency, p)
            }
            rows.append([window["start"] as? String ?? "", f["metric"] as? String ?? "",
                         (f["scope"] as? [String: Any])?["id"] as? String ?? "", f["resource_id"] as? String ?? "",
                         groupby.joined(separator: ","), f["quantity"] as? String ?? "", f["unit"] as? String ?? "",
                         price + " " + currency + ((f["status"] as? String) == "rated" ? "" : " (rating failed)"),
                         "\(revision)"])
        }
        var total: [String: ExactSum] = [:]
        for (_, frame) in latest { total[frame.currency, default: ExactSum()].add(frame.price) }
        for (currency, sum) in total.sorted(by: { $0.key < $1.key }) {
            rows.append(["total", "", "", "", "", "", "", sum.canonicalText + " " + currency, ""])
        }
        return TextTable.render(rows)
    }

    @Test func theTableFromFrameValuesIsTheTableFromTheirJSON() throws {
        print("FrameTableTests: random files from seed \(Self.seed)")
        let fixtures = OfflineRatingStreamingTests.fixtures, wallNow = OfflineRatingStreamingTests.wallNow
        let metrics = try MetricsConfigLoader.load(contentsOf: fixtures.appendingPathComponent("metrics.yaml").path)
        let pricer = try PricerFactory.make(rulesFile: fixtures.appendingPathComponent("rules.yaml").path)
        var rng = SplitMix64(seed: Self.seed)
        var revisionsSeen = 0, rowsSeen = 0
        for round in 0..<40 {
            let files = (0...rng.next(2)).map { n -> (name: String, lines: [[UInt8]]) in
                var lines: [[UInt8]] = []
                for _ in 0..<rng.int(1...60) {
                    lines.append(!lines.isEmpty && rng.next(10) == 0 ? lines[rng.next(lines.count)]
                                 : Array(OfflineRatingStreamingTests.sampleLine(&rng).utf8))
                }
                return ("f\(n).jsonl", lines)
            }
            let kept = try OfflineRating(metrics: metrics, pricer: pricer, files: files, wallNow: wallNow)
            var table = FrameTable()
            let valued = try OfflineRating(metrics: metrics, pricer: pricer, files: files, wallNow: wallNow,
                                           frameValueSink: { table.add($0) })
            #expect(valued.frames.isEmpty, "round \(round): a value sink's frames are not kept")
            let expected = Self.reference(kept.frames), actual = table.render()
            #expect(actual == expected, "seed \(Self.seed), round \(round):\n\(actual)\n--- against ---\n\(expected)")
            revisionsSeen += Int(kept.counters.framesRevised)
            rowsSeen += kept.frames.count
        }
        // The rounds must have exercised what the total depends on.
        #expect(revisionsSeen > 0 && rowsSeen > 200, "\(rowsSeen) rows, \(revisionsSeen) revisions")
    }

    /// The total is the exact sum of the windows' latest prices, whatever order they came in:
    /// `ExactDecimal` addition rounds to 28 digits, so the same prices summed in two orders
    /// differ (100 tiny prices vanish one by one after a large one, but add up before it), and
    /// a total summed in a dictionary's order printed either.
    @Test func theTotalIsExactWhateverTheWindowsOrder() throws {
        let large = try #require(ExactDecimal("1.000000000000000000000000001"))
        let tiny = try #require(ExactDecimal("0.0000000000000000000000000004"))
        let windows = (0..<200).map { i in (id: "w\(i)", price: i < 100 ? large : tiny) }
        func total(_ order: [(id: String, price: ExactDecimal)]) -> (printed: [Substring], rounded: ExactDecimal) {
            var table = FrameTable()
            var rounded = ExactDecimal.zero
            for w in order {
                table.add(Self.frame(id: w.id, price: w.price))
                rounded = rounded + w.price
            }
            let row = table.render().split(separator: "\n").last ?? ""
            return (row.split(separator: " "), rounded)
        }
        let forward = total(windows), backward = total(windows.reversed())
        let exact = ExactSum.of(windows.map(\.price)).canonicalText
        #expect(forward.rounded != backward.rounded, "the two orders must round differently for this test to mean anything")
        #expect(forward.printed == ["total", Substring(exact), "EUR"], "\(forward.printed) against \(exact)")
        #expect(backward.printed == forward.printed, "\(backward.printed) against \(forward.printed)")
    }

    static func frame(id: String, price: ExactDecimal) -> Frame {
        Frame(frameId: id, revision: 1, metric: "instance", service: "instance", scopeKind: "project", scope: "p", projectId: "p",
              userId: nil, resourceId: "vm", groupby: [:], metadata: [:], windowStart: EventTime(micros: 0),
              windowEnd: EventTime(micros: 3_600_000_000), quantity: .one, unit: "instance", price: price, previousPrice: .zero,
              currency: "EUR", status: .rated, rating: .null, ruleBookVersion: nil, ruleBookHash: nil, lineage: [],
              sampleCount: 1, sampleDigest: "", engineVersion: "test", outputPartition: 0)
    }

    @Test func aGroupbyValueThatIsNotAStringIsItsCanonicalJSON() {
        #expect(FrameTable.cellText(.string("m1.small")) == "m1.small")
        #expect(FrameTable.cellText(.integer(-5)) == "-5")
        #expect(FrameTable.cellText(.bool(true)) == "true")
        #expect(FrameTable.cellText(.null) == "null")
        #expect(FrameTable.cellText(.array([.integer(1), .string("a")])) == #"[1,"a"]"#)
    }
}

/// `TextTable.render` writes into one byte buffer and reads an ASCII cell's width off its byte
/// count. Held to the way it rendered before (padded `String`s joined, widths by `count`) on
/// random tables: ASCII, accented and combining characters, emoji, CJK, empty cells, rows
/// shorter than the header.
@Suite struct TextTableTests {
    static let seed: UInt64 = 0x7E47_AB1E

    static func reference(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return rows.enumerated().map { n, row in
            let line = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ")
            return n == 0 ? line + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") : line
        }.joined(separator: "\n")
    }

    @Test func rendersAsTheJoinedStringsDid() {
        print("TextTableTests: random tables from seed \(Self.seed)")
        let pieces = ["a", "vm-1", "0.025 EUR", "", " ", "é", "e\u{301}", "日本", "🇫🇷", "👩‍💻", "-", "x=y,z=w", "2026-11-02T00:00:00Z"]
        var rng = SplitMix64(seed: Self.seed)
        var nonASCII = 0
        for round in 0..<300 {
            let columns = rng.int(1...6)
            let rows = (0..<rng.int(0...8)).map { n -> [String] in
                (0..<(n == 0 ? columns : rng.int(1...columns))).map { _ in
                    (0..<rng.next(4)).map { _ in pieces[rng.next(pieces.count)] }.joined()
                }
            }
            nonASCII += rows.joined().filter { $0.utf8.count != $0.count }.count
            #expect(TextTable.render(rows) == Self.reference(rows), "seed \(Self.seed), round \(round): \(rows)")
        }
        #expect(nonASCII > 100, "the rounds must hold cells whose characters are not one byte each")
    }
}
