import Testing
@testable import TallyCore
@testable import TallyWire
import TallySeededRandom

/// The rule-log decoder judges a time read by `parseCommon` canonical from its form alone
/// (`TimestampParser.commonIsCanonical`) instead of writing the text again and comparing
/// (`CanonicalTextChecks.isCanonical(_:time:)`, the reference). Held equal on random times
/// from year 1 to 9999, with and without microseconds, in the canonical spelling and in
/// the other spellings `parseCommon` reads (no `Z`, a zero fraction, a fraction on a whole
/// second) and some it does not.
@Suite struct RuleLogTimeCheckTests {
    static let seed: UInt64 = 0x7135_10CA_70F1

    /// Spellings of `time`: the canonical one and variants around it.
    static func spellings(of time: EventTime) -> [String] {
        let canonical = Timestamps.iso8601(time)
        let body = String(canonical.prefix(19))  // YYYY-MM-DDThh:mm:ss
        let fraction = time.micros % EventTime.microsPerSecond
        let digits = String(String((fraction + EventTime.microsPerSecond) % EventTime.microsPerSecond + 1_000_000).dropFirst())
        return [canonical, body, body + "Z", body + ".000000Z", body + ".000000", body + "." + digits,
                body + "." + digits + "Z", body + "." + digits + "z", body + "z", body + "+00:00",
                body.replacingOccurrences(of: "T", with: "t") + "Z", body.replacingOccurrences(of: "T", with: " ") + "Z",
                body + "." + digits.prefix(3) + "Z", body + "." + digits + "000Z"]
    }

    @Test func theFormCheckAgreesWithWritingTheTextAgain() {
        print("RuleLogTimeCheckTests seed \(Self.seed)")
        var rng = SplitMix64(seed: Self.seed)
        var canonical = 0, other = 0
        // 0001-01-01 to 9999-12-31, in microseconds.
        let first: Int64 = -62_135_596_800_000_000, last: Int64 = 253_402_300_799_999_999
        for round in 0..<20_000 {
            var micros = first + Int64(bitPattern: rng.next(below: UInt64(last - first)))
            if round % 2 == 0 { micros -= micros % EventTime.microsPerSecond }  // whole seconds half the time
            if micros < first { micros += EventTime.microsPerSecond }
            for text in Self.spellings(of: EventTime(micros: micros)) {
                let bytes = Array(text.utf8)
                bytes.withUnsafeBytes { raw in
                    guard let time = TimestampParser.parseCommon(raw) else { return }
                    let reference = CanonicalTextChecks.isCanonical(raw, time: time)
                    #expect(TimestampParser.commonIsCanonical(raw, time) == reference, "round \(round): \(text)")
                    if reference { canonical += 1 } else { other += 1 }
                }
            }
        }
        #expect(canonical > 10_000 && other > 40_000, "canonical \(canonical), other \(other)")
    }

    /// `parseCommon` with a kept date (the decode thread's, across events) answers as
    /// without one, in any order of texts: times on a few dates (so the kept date is hit),
    /// their other spellings, and texts that must be refused whatever was kept (year 0000,
    /// whose digits are all zero like an empty memo's; month 13, 30 February, a letter in
    /// the date or the time) right after a good text of the same or another date.
    @Test func aKeptDateChangesNoAnswer() {
        var rng = SplitMix64(seed: Self.seed &+ 1)
        let days: [Int64] = [0, 1, 59, 60, 365, 10_956, 20_454, 20_455, -1, -719_162]
        let refused: [String] = ["0000-00-00T00:00:00Z", "0000-01-01T00:00:00Z", "2026-13-01T00:00:00Z",
                                 "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2024-02-29T00:00:00Z",
                                 "2026-01-0xT00:00:00Z", "2026-01-01T00:0x:00Z", "2026-01-01T24:00:00Z",
                                 "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"]
        // Each time's spellings in a row (one date: hits), a refused text among them now and then.
        var texts: [String] = []
        for _ in 0..<2_000 {
            let day = days[rng.next(days.count)]
            let micros = day * 86_400_000_000 + Int64(bitPattern: rng.next(below: 86_400_000_000))
            for text in Self.spellings(of: EventTime(micros: micros)) {
                if rng.next(8) == 0 { texts.append(refused[rng.next(refused.count)]) }
                texts.append(text)
            }
        }
        var kept = TimestampParser.CommonDate()
        var hits = 0, answered = 0
        for (round, text) in texts.enumerated() {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBytes { raw in
                let before = kept
                let alone = TimestampParser.parseCommon(raw)
                let withKept = TimestampParser.parseCommon(raw, lastDate: &kept)
                #expect(withKept == alone, "round \(round): \(text)")
                if alone != nil { answered += 1 }
                if alone != nil && before.dateWord != 0 && before.dateWord == kept.dateWord
                    && before.dayDigits == kept.dayDigits { hits += 1 }
            }
        }
        #expect(hits > 5_000 && answered < texts.count, "hits \(hits), answered \(answered) of \(texts.count)")
    }
}
