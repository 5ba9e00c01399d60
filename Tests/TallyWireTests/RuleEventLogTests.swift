import Foundation
import Testing
import TallyCore
@testable import TallyWire

/// The byte-level log: verify over stored records, the reader, publication, and
/// applying a ruleset file as events.
struct RuleEventLogTests {
    static let now = EventTime(micros: 1_764_547_200_000_000)  // 2025-12-01T00:00:00Z

    static func fileRules() throws -> RuleSet { try RulesetFile.parse(yaml: RulesetFileTests.exampleText) }

    /// The example file applied to an empty log, as stored records.
    static func appliedExample() throws -> (records: [[UInt8]], reader: RuleLogReader) {
        let changes = RuleLogDiff.changes(from: RuleSet(), to: try fileRules(), at: now)
        // One event per change (not atomic), so the verify tests below have records to alter.
        let publication = try RuleLogPublication(changes: changes, author: "ops", reason: "initial rules", now: now,
                                                 state: RuleLogState(), atomic: false)
        var reader = RuleLogReader()
        for (i, record) in publication.records.enumerated() {
            #expect(reader.apply(bytes: record, offset: Int64(i)) == .accepted, "record \(i)")
        }
        #expect(reader.state.head == publication.expectedHead)
        return (publication.records, reader)
    }

    /// The file's rules in effect at `t`, as a log started at `now` holds them.
    static func expected(_ file: RuleSet, at t: EventTime) -> RuleSet {
        func live<R>(_ rules: [R], _ validity: WritableKeyPath<R, RuleValidity>) -> [R] {
            rules.filter { $0[keyPath: validity].contains(t) }.map { rule in
                var rule = rule
                rule[keyPath: validity].start = max(rule[keyPath: validity].start, now)
                return rule
            }
        }
        var set = file
        set.mappings = live(file.mappings, \.validity)
        set.thresholds = live(file.thresholds, \.validity)
        set.tiers = live(file.tiers, \.validity)
        set.scripts = live(file.scripts, \.validity)
        return set
    }

    @Test func applyingTheExampleFileReproducesItsRules() throws {
        let file = try Self.fileRules()
        let (_, reader) = try Self.appliedExample()
        for text in ["2025-12-15T00:00:00Z", "2026-03-01T00:00:00Z", "2026-06-30T23:59:59Z", "2026-07-01T00:00:00Z"] {
            let t = try TimestampParser.parse(text)
            let folded = try reader.state.ruleBook(at: t).rules
            #expect(folded.contentHash == Self.expected(file, at: t).contentHash, "at \(text)")
        }
        // Applying the same file again changes nothing.
        #expect(RuleLogDiff.changes(from: reader.state.currentRules(at: Self.now), to: file, at: Self.now).isEmpty)
    }

    @Test func aPriceChangeInTheFileBecomesEndAndCreate() throws {
        var (records, reader) = try Self.appliedExample()
        let later = try TimestampParser.parse("2026-02-01T00:00:00Z")
        let yaml = RulesetFileTests.exampleText.replacingOccurrences(of: "cost: 0.05, group", with: "cost: 0.07, group")
        let changes = RuleLogDiff.changes(from: reader.state.currentRules(at: later), to: try RulesetFile.parse(yaml: yaml),
                                          at: later)
        #expect(changes.map(\.description) == ["end mapping 'flavor-nano' at 2026-02-01T00:00:00Z",
                                                "create mapping 'flavor-nano' at 2026-02-01T00:00:00Z"])
        let publication = try RuleLogPublication(changes: changes, author: "ops", reason: "nano up", now: later,
                                                 state: reader.state)
        // Atomic by default: the end and the create are one batch event.
        #expect(publication.records.count == 1)
        #expect(publication.events.first?.change.operation == "batch")
        let decoded = try RuleEventCodec.decode(publication.records[0])
        #expect(decoded == publication.events[0], "a batch event decodes to itself")
        for record in publication.records {
            records.append(record)
            #expect(reader.apply(bytes: record, offset: Int64(records.count - 1)) == .accepted)
        }
        func nano(at text: String) throws -> ExactDecimal? {
            try reader.state.ruleBook(at: try TimestampParser.parse(text)).rules.mappings.first { $0.id == "flavor-nano" }?.cost
        }
        #expect(try nano(at: "2026-01-31T23:00:00Z") == ExactDecimal("0.05")!)
        #expect(try nano(at: "2026-02-01T00:00:00Z") == ExactDecimal("0.07")!)
        #expect(RuleLogVerification.verify(events: records.enumerated().map { (Int64($0.offset), $0.element) }).isIntact)
    }

    @Test func publicationRefusesWhatReadersWouldReject() throws {
        let (_, reader) = try Self.appliedExample()
        let past = [PlannedRuleChange(change: .create(.group("late")), start: EventTime(micros: Self.now.micros - 1))]
        #expect(throws: RuleEventRejection.self) {
            try RuleLogPublication(changes: past, author: "ops", reason: "r", now: Self.now, state: reader.state)
        }
        do {
            _ = try RuleLogPublication(changes: past, author: "ops", reason: "r", now: Self.now, state: reader.state)
        } catch {
            #expect(error.code == .pastStartWithoutForce)
            #expect(error.message.contains("change 1 of 1"))
        }
    }

    @Test func verifyPointsAtTheFirstBadRecord() throws {
        let (records, _) = try Self.appliedExample()
        func verify(_ list: [[UInt8]]) -> ChainReport {
            RuleLogVerification.verify(events: list.enumerated().map { (Int64($0.offset), $0.element) })
        }
        #expect(verify(records).isIntact)
        var altered = records
        altered[3] = Array(String(decoding: altered[3], as: UTF8.self).replacingOccurrences(of: "\"author\":\"ops\"",
                                                                                             with: "\"author\":\"eve\"").utf8)
        #expect(verify(altered).firstProblem.map { ($0.offset, $0.kind) } ?? (-1, .gap) == (3, .altered))
        var reformatted = records
        reformatted[2] = Array(String(decoding: reformatted[2], as: UTF8.self).replacingOccurrences(of: ",", with: ", ").utf8)
        #expect(verify(reformatted).firstProblem?.kind == .altered)
        #expect(verify(reformatted).firstProblem?.offset == 2)
        var garbage = records
        garbage[4] = Array("{not json".utf8)
        #expect(verify(garbage).firstProblem?.kind == .undecodable)
        let gapped = records.enumerated().filter { $0.offset != 5 }.map { (Int64($0.offset), $0.element) }
        #expect(RuleLogVerification.verify(events: gapped).firstProblem.map { ($0.offset, $0.kind) } ?? (-1, .altered) == (6, .gap))
    }

    @Test func theReaderRecordsUndecodableRecordsWithoutChainingThem() throws {
        let (records, _) = try Self.appliedExample()
        var reader = RuleLogReader()
        reader.apply(bytes: records[0], offset: 0)
        let head = reader.state.head
        #expect(reader.apply(bytes: Array("[]".utf8), offset: 1).rejection?.code == .invalidEvent)
        #expect(reader.state.head == head)
        #expect(reader.apply(bytes: records[1], offset: 2) == .accepted)
    }
}
