import TallyCore

/// Why a timestamp was refused; `description` is the human detail.
public enum TimestampProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text does not have the shape `YYYY-MM-DD[T or space]hh:mm:ss[.f…][zone]`;
    /// `offset` is the first byte that does not fit.
    case syntax(offset: Int, expected: String)
    case monthOutOfRange(Int)
    case dayOutOfRange(day: Int, month: Int, year: Int)
    case hourOutOfRange(Int)
    case minuteOutOfRange(Int)
    case secondOutOfRange(Int)
    case offsetOutOfRange(hours: Int, minutes: Int)

    public var description: String {
        switch self {
        case let .syntax(offset, expected): "expected \(expected) at character \(offset)"
        case let .monthOutOfRange(m): "month \(m) is not 1–12"
        case let .dayOutOfRange(d, m, y): "day \(d) does not exist in \(y)-\(m < 10 ? "0" : "")\(m)"
        case let .hourOutOfRange(h): "hour \(h) is not 0–23"
        case let .minuteOutOfRange(m): "minute \(m) is not 0–59"
        case let .secondOutOfRange(s): "second \(s) is not 0–59 (leap seconds are not accepted)"
        case let .offsetOutOfRange(h, m): "zone offset \(h):\(m) is out of range"
        }
    }
}

/// Parses ISO 8601 / RFC 3339 timestamps by hand into microseconds since the epoch.
///
/// Accepted: `YYYY-MM-DD`, then `T`, `t` or a space, then `hh:mm:ss`, an optional
/// fraction of 1–9 digits (digits below the microsecond are truncated), and an optional
/// zone: `Z`/`z`, `±hh:mm`, `±hhmm` or `±hh`. No zone means UTC, which is what
/// Ceilometer means by its zone-less `utcnow().isoformat()` stamps. Years 0001–9999.
public enum TimestampParser {
    /// The common spellings are read whole (`parseCommon`); the rest, and every error, field
    /// by field.
    public static func parse(_ text: UnsafeRawBufferPointer) throws(TimestampProblem) -> EventTime {
        if let time = parseCommon(text) { return time }
        return try parseFields(text)
    }

    /// The reference parser: any accepted spelling, and the precise problem with the rest.
    static func parseFields(_ text: UnsafeRawBufferPointer) throws(TimestampProblem) -> EventTime {
        var reader = FieldReader(text: text)
        let year = try reader.digits(4, "a 4-digit year")
        try reader.separator(UInt8(ascii: "-"), "'-' after the year")
        let month = try reader.digits(2, "a 2-digit month")
        try reader.separator(UInt8(ascii: "-"), "'-' after the month")
        let day = try reader.digits(2, "a 2-digit day")
        guard reader.position < text.count,
              text[reader.position] == UInt8(ascii: "T") || text[reader.position] == UInt8(ascii: "t")
                || text[reader.position] == UInt8(ascii: " ") else {
            throw .syntax(offset: reader.position, expected: "'T' or a space between date and time")
        }
        reader.position += 1
        let hour = try reader.digits(2, "a 2-digit hour")
        try reader.separator(UInt8(ascii: ":"), "':' after the hour")
        let minute = try reader.digits(2, "2-digit minutes")
        try reader.separator(UInt8(ascii: ":"), "':' after the minutes")
        let second = try reader.digits(2, "2-digit seconds")
        let micros = try reader.fraction()
        let offsetSeconds = try reader.zone()
        guard reader.position == text.count else {
            throw .syntax(offset: reader.position, expected: "the end of the timestamp")
        }

        guard year >= 1 else { throw .syntax(offset: 0, expected: "a year from 0001") }
        guard (1...12).contains(month) else { throw .monthOutOfRange(month) }
        guard day >= 1, day <= daysIn(month: month, year: year) else {
            throw .dayOutOfRange(day: day, month: month, year: year)
        }
        guard hour < 24 else { throw .hourOutOfRange(hour) }
        guard minute < 60 else { throw .minuteOutOfRange(minute) }
        guard second < 60 else { throw .secondOutOfRange(second) }

        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return EventTime(micros: seconds * EventTime.microsPerSecond + micros)
    }

    /// Convenience for tests and configuration; the hot path passes bytes.
    public static func parse(_ text: String) throws(TimestampProblem) -> EventTime {
        var copy = text
        let result: Result<EventTime, TimestampProblem> = copy.withUTF8 { utf8 in
            do throws(TimestampProblem) { return .success(try parse(UnsafeRawBufferPointer(utf8))) } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the given civil date in the proleptic Gregorian calendar
    /// (the well-known era-based formula: 400-year eras of 146 097 days).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// A cursor over the timestamp text that reads fixed-width fields.
private struct FieldReader {
    let text: UnsafeRawBufferPointer
    var position = 0

    init(text: UnsafeRawBufferPointer) { self.text = text }

    mutating func digits(_ width: Int, _ what: String) throws(TimestampProblem) -> Int {
        var value = 0
        for _ in 0..<width {
            guard position < text.count, isDigit(text[position]) else {
                throw .syntax(offset: position, expected: what)
            }
            value = value * 10 + Int(text[position] &- 48)
            position += 1
        }
        return value
    }

    mutating func separator(_ byte: UInt8, _ what: String) throws(TimestampProblem) {
        guard position < text.count, text[position] == byte else { throw .syntax(offset: position, expected: what) }
        position += 1
    }

    /// An optional `.` and 1–9 digits, as microseconds (truncated).
    mutating func fraction() throws(TimestampProblem) -> Int64 {
        guard position < text.count, text[position] == UInt8(ascii: ".") || text[position] == UInt8(ascii: ",") else {
            return 0
        }
        position += 1
        var micros: Int64 = 0
        var count = 0
        while position < text.count, isDigit(text[position]) {
            guard count < 9 else { throw .syntax(offset: position, expected: "at most 9 fraction digits") }
            if count < 6 { micros = micros * 10 + Int64(text[position] &- 48) }
            count += 1
            position += 1
        }
        guard count > 0 else { throw .syntax(offset: position, expected: "fraction digits after '.'") }
        for _ in count..<max(count, 6) { micros *= 10 }
        return micros
    }

    /// The zone as seconds east of UTC; none means UTC.
    mutating func zone() throws(TimestampProblem) -> Int {
        guard position < text.count else { return 0 }
        let c = text[position]
        if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
            position += 1
            return 0
        }
        guard c == UInt8(ascii: "+") || c == UInt8(ascii: "-") else {
            throw .syntax(offset: position, expected: "a zone ('Z' or ±hh:mm) or the end")
        }
        position += 1
        let hours = try digits(2, "2-digit zone hours")
        var minutes = 0
        if position < text.count {
            if text[position] == UInt8(ascii: ":") { position += 1 }
            minutes = try digits(2, "2-digit zone minutes")
        }
        guard hours < 24, minutes < 60 else { throw .offsetOutOfRange(hours: hours, minutes: minutes) }
        let seconds = hours * 3600 + minutes * 60
        return c == UInt8(ascii: "-") ? -seconds : seconds
    }
}
