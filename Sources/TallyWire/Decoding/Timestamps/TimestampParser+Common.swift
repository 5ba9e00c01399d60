import TallyCore

/// The spellings nearly every sample's timestamp takes, read eight bytes at a time:
/// `YYYY-MM-DDThh:mm:ss`, then optionally `.` and exactly six digits, then optionally `Z`
/// (Ceilometer's `utcnow().isoformat()` writes the 26-byte form; native samples and
/// CloudEvents the ones with `Z`). Anything else, and any value out of range, is left to
/// the field-by-field parser (`TimestampParser.parseFields`), which is the reference:
/// a spelling read here gives what it gives (DecodeFastPathPropertyTests holds the two
/// together), and every error comes from it.
extension TimestampParser {
    /// The date (`YYYY-MM-DD`, its bytes as loaded: `dateWord` bytes 0–7, `dayDigits` 8–9)
    /// of the last common spelling read and its days since the epoch, for a reader whose
    /// times mostly share their date (a rule event's `recorded_at` and `start`, and the next
    /// event's): the calendar conversion then runs once per date. `dateWord` 0 holds nothing.
    struct CommonDate {
        var dateWord: UInt64 = 0
        var dayDigits: UInt64 = 0
        var days = 0
    }

    @inline(__always)
    static func parseCommon(_ text: UnsafeRawBufferPointer) -> EventTime? {
        var date = CommonDate()
        return parseCommon(text, lastDate: &date)
    }

    /// `parseCommon(_:)`, the day count taken from `lastDate` when the text's date is the
    /// one it holds (its bytes passed then and were converted); otherwise computed as
    /// before and kept there. The same answer either way (RuleLogTimeCheckTests).
    @inline(__always)
    static func parseCommon(_ text: UnsafeRawBufferPointer, lastDate: inout CommonDate) -> EventTime? {
        let n = text.count
        guard n == 26 || n == 19 || n == 20 || n == 27, let p = text.baseAddress else { return nil }
        // Bytes 0–7 `YYYY-MM-`, 8–15 `DDThh:mm`, 11–18 `hh:mm:ss` (overlapping: the template
        // checks each byte where it is a digit or a separator).
        let dateWord = p.loadUnaligned(as: UInt64.self)
        let dayWord = p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        let timeWord = p.loadUnaligned(fromByteOffset: 11, as: UInt64.self)
        guard let date = digits(dateWord, Self.dateTemplate), let dayTime = digits(dayWord, Self.dayTemplate),
              let time = digits(timeWord, Self.timeTemplate) else { return nil }
        var micros: Int64 = 0
        if n >= 26 {
            // `.ffffff` at 19–25, as bytes 18–25 `s.ffffff` (its first byte is a seconds digit).
            guard let fraction = digits(p.loadUnaligned(fromByteOffset: 18, as: UInt64.self), Self.fractionTemplate) else {
                return nil
            }
            micros = Int64(byte(fraction, 2)) * 100_000 + Int64(byte(fraction, 3)) * 10_000 + Int64(byte(fraction, 4)) * 1_000
                + Int64(byte(fraction, 5)) * 100 + Int64(byte(fraction, 6)) * 10 + Int64(byte(fraction, 7))
        }
        if n == 20 || n == 27 {
            guard p.load(fromByteOffset: n - 1, as: UInt8.self) == UInt8(ascii: "Z") else { return nil }
        }
        let hour = byte(time, 0) * 10 + byte(time, 1)
        let minute = byte(time, 3) * 10 + byte(time, 4)
        let second = byte(time, 6) * 10 + byte(time, 7)
        guard hour < 24, minute < 60, second < 60 else { return nil }
        let days: Int
        // Compared as the bytes read (not their digit values, which are all 0 for the
        // refused year 0000): a word that passed has its `-` bytes, so never the empty 0.
        let dayDigits = UInt64(littleEndian: dayWord) & 0xFFFF
        if dateWord == lastDate.dateWord && dayDigits == lastDate.dayDigits {
            days = lastDate.days
        } else {
            let year = byte(date, 0) * 1000 + byte(date, 1) * 100 + byte(date, 2) * 10 + byte(date, 3)
            let month = byte(date, 5) * 10 + byte(date, 6)
            let day = byte(dayTime, 0) * 10 + byte(dayTime, 1)
            guard year >= 1, month >= 1, month <= 12, day >= 1, day <= 28 || day <= daysIn(month: month, year: year) else {
                return nil
            }
            days = daysSinceEpoch(year: year, month: month, day: day)
            lastDate = CommonDate(dateWord: dateWord, dayDigits: dayDigits, days: days)
        }
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return EventTime(micros: seconds * EventTime.microsPerSecond + micros)
    }

    /// A template: `0` where a digit goes and the separator itself elsewhere, as a
    /// little-endian word holds the eight bytes, and a mask of the separators' bytes.
    /// Literals, not computed: a computed static is initialised lazily, a check per use.
    private typealias Template = (bytes: UInt64, separators: UInt64)
    private static let dateTemplate: Template = (0x2D30_302D_3030_3030, 0xFF00_00FF_0000_0000)  // "0000-00-"
    private static let dayTemplate: Template = (0x3030_3A30_3054_3030, 0x0000_FF00_00FF_0000)  // "00T00:00"
    private static let timeTemplate: Template = (0x3030_3A30_303A_3030, 0x0000_FF00_00FF_0000)  // "00:00:00"
    private static let fractionTemplate: Template = (0x3030_3030_3030_2E30, 0x0000_0000_0000_FF00)  // "0.000000"

    /// The word with each byte's digit value where the template has a digit (0 at its
    /// separators), or nil when a digit is not one or a separator differs.
    @inline(__always)
    private static func digits(_ word: UInt64, _ template: Template) -> UInt64? {
        let word = UInt64(littleEndian: word)
        let x = word ^ template.bytes  // a digit becomes 0–9, a matching separator 0
        let highs: UInt64 = 0x8080_8080_8080_8080
        // Bytes below 0x80 plus 0x76 stay below 0x80 exactly when they are below 10 (no
        // carry between bytes, since the first term rules out bytes from 0x80).
        guard (x | (x &+ 0x7676_7676_7676_7676)) & highs == 0, x & template.separators == 0 else { return nil }
        return x
    }

    @inline(__always)
    private static func byte(_ word: UInt64, _ i: Int) -> Int { Int(truncatingIfNeeded: word >> (8 * i)) & 0xFF }
}

extension TimestampParser {
    /// Whether `text`, which `parseCommon` read as `time`, is the canonical spelling
    /// (`Timestamps.iso8601(time)`, what the rule log's canonical encoding writes). Every
    /// field `parseCommon` reads has a fixed width and the range it checks, so its digits
    /// are the ones the writer gives back; what is left to compare is the form: `Z` (20
    /// bytes), or `.ffffff` then `Z` (27 bytes) with a fraction that is not zero, since
    /// the writer drops a zero one. Writing the text again and comparing (the rule-log
    /// decoder's check until now, `CanonicalTextChecks.isCanonical(_:time:)`) cost a
    /// calendar conversion and twenty digits per time, three times per event.
    /// RuleLogTimeCheckTests holds the two equal on random times and spellings.
    @inline(__always)
    static func commonIsCanonical(_ text: UnsafeRawBufferPointer, _ time: EventTime) -> Bool {
        text.count == 20 || (text.count == 27 && time.micros % EventTime.microsPerSecond != 0)
    }
}
