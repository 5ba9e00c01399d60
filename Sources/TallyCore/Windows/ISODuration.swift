/// A parsed ISO 8601 duration (`P1M`, `P1D`, `PT1H30M`, `P2W`, `PT45S`).
///
/// Months are kept apart from days, and days apart from hours, because a calendar
/// month or day in a time zone has no fixed length; callers decide what they accept.
public struct ISODuration: Hashable, Sendable {
    public var months: Int64
    public var days: Int64
    /// Hours, minutes and seconds together, in microseconds.
    public var timeMicros: Int64

    public init(months: Int64 = 0, days: Int64 = 0, timeMicros: Int64 = 0) {
        self.months = months; self.days = days; self.timeMicros = timeMicros
    }

    /// Parses `P[nY][nM][nW][nD][T[nH][nM][n[.f]S]]`, with whole numbers except the
    /// seconds. Returns nil for anything else, including `P` and `PT` with no part.
    public init?(_ text: String) {
        var bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes[0] == UInt8(ascii: "P") else { return nil }
        bytes.removeFirst()
        var months: Int64 = 0, days: Int64 = 0, time: Int64 = 0
        var inTime = false, parts = 0, i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "T") {
                guard !inTime, i + 1 < bytes.count else { return nil }
                inTime = true; i += 1; continue
            }
            var whole: Int64 = 0, digits = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(bytes[i] - 48))
                guard !o1, !o2, whole < 1_000_000_000 else { return nil }
                whole = s; digits += 1; i += 1
            }
            var fractionMicros: Int64 = 0
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: ",") {
                guard inTime else { return nil }
                i += 1
                var scale: Int64 = 100_000, fractionDigits = 0
                while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                    guard scale > 0 else { return nil }
                    fractionMicros += Int64(bytes[i] - 48) * scale
                    scale /= 10; fractionDigits += 1; i += 1
                }
                guard fractionDigits > 0, i < bytes.count, bytes[i] == UInt8(ascii: "S") else { return nil }
            }
            guard digits > 0, i < bytes.count else { return nil }
            switch (inTime, bytes[i]) {
            case (false, UInt8(ascii: "Y")): months += whole * 12
            case (false, UInt8(ascii: "M")): months += whole
            case (false, UInt8(ascii: "W")): days += whole * 7
            case (false, UInt8(ascii: "D")): days += whole
            case (true, UInt8(ascii: "H")): time += whole * 3_600_000_000
            case (true, UInt8(ascii: "M")): time += whole * 60_000_000
            case (true, UInt8(ascii: "S")): time += whole * 1_000_000 + fractionMicros
            default: return nil
            }
            parts += 1; i += 1
        }
        guard parts > 0 else { return nil }
        self.init(months: months, days: days, timeMicros: time)
    }

    /// The duration as a fixed span, counting a day as 24 hours; nil when it has months.
    public var fixedSpan: TimeSpan? {
        months == 0 ? TimeSpan(micros: days * 86_400_000_000 + timeMicros) : nil
    }
}
