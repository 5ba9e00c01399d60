/// A length of time in microseconds: grace, retention, idle timeout, fixed periods.
/// Kept apart from `EventTime` so that an instant and a duration cannot be mixed up.
public struct TimeSpan: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var micros: Int64
    @inlinable public init(micros: Int64) { self.micros = micros }

    public static let zero = TimeSpan(micros: 0)
    @inlinable public static func seconds(_ s: Int64) -> TimeSpan { TimeSpan(micros: s * 1_000_000) }
    @inlinable public static func minutes(_ m: Int64) -> TimeSpan { TimeSpan(micros: m * 60_000_000) }
    @inlinable public static func hours(_ h: Int64) -> TimeSpan { TimeSpan(micros: h * 3_600_000_000) }
    @inlinable public static func days(_ d: Int64) -> TimeSpan { TimeSpan(micros: d * 86_400_000_000) }

    @inlinable public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.micros < b.micros }

    /// ISO 8601 form with days, hours, minutes and seconds (`P1DT2H`, `PT90S`, `PT0S`).
    public var description: String {
        if micros == 0 { return "PT0S" }
        var rest = micros.magnitude
        let sign = micros < 0 ? "-" : ""
        let days = rest / 86_400_000_000; rest %= 86_400_000_000
        let hours = rest / 3_600_000_000; rest %= 3_600_000_000
        let minutes = rest / 60_000_000; rest %= 60_000_000
        var text = sign + "P"
        if days > 0 { text += "\(days)D" }
        if rest > 0 || hours > 0 || minutes > 0 { text += "T" }
        if hours > 0 { text += "\(hours)H" }
        if minutes > 0 { text += "\(minutes)M" }
        if rest > 0 {
            let seconds = rest / 1_000_000, fraction = rest % 1_000_000
            if fraction == 0 {
                text += "\(seconds)S"
            } else {
                var digits = String(fraction)
                digits = String(repeating: "0", count: 6 - digits.count) + digits
                while digits.hasSuffix("0") { digits.removeLast() }
                text += "\(seconds).\(digits)S"
            }
        }
        return text
    }
}

extension EventTime {
    @inlinable public static func + (t: EventTime, span: TimeSpan) -> EventTime {
        EventTime(micros: t.micros + span.micros)
    }
    @inlinable public static func - (t: EventTime, span: TimeSpan) -> EventTime {
        EventTime(micros: t.micros - span.micros)
    }
    /// The span from `b` to `a` (negative when `a` is earlier).
    @inlinable public static func - (a: EventTime, b: EventTime) -> TimeSpan {
        TimeSpan(micros: a.micros - b.micros)
    }
}

/// Floor division for possibly negative instants (Swift's `/` truncates toward zero).
@inlinable func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
