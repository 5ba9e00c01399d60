/// Renders event times as ISO 8601 UTC without Foundation.
public enum Timestamps {
    /// `2026-11-02T00:00:00Z`, with `.ffffff` only when there are microseconds.
    public static func iso8601(_ t: EventTime) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { b in
            guard let n = fill(t, b) else { return wide(t) }
            return String(decoding: UnsafeBufferPointer(rebasing: b[0..<n]), as: UTF8.self)
        }
    }

    /// The same text appended as bytes: frames write two of these each.
    static func writeISO8601(_ t: EventTime, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { b in
            if let n = fill(t, b) { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[0..<n])) } else {
                out.append(contentsOf: wide(t).utf8)
            }
        }
    }

    private static func fields(_ t: EventTime) -> (y: Int64, m: Int64, d: Int64, secondOfDay: Int64, fraction: Int64) {
        let (days, secondOfDay, fraction) = split(t)
        let (y, m, d) = CivilCalendar.date(ofDay: days)
        return (y, m, d, secondOfDay, fraction)
    }

    /// Writes the text into `b` (27 bytes) and returns its length; nil outside years 0–9999.
    static func fill(_ t: EventTime, _ b: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        let (y, m, d, secondOfDay, fraction) = fields(t)
        guard (0...9999).contains(y) else { return nil }
        var i = 0
        func put(_ v: Int64, _ width: Int) {
            var v = v
            for k in stride(from: width - 1, through: 0, by: -1) { b[i + k] = UInt8(48 + v % 10); v /= 10 }
            i += width
        }
        // Bytes, not `Character`s: `Character.asciiValue` walks a string per call, and every
        // rule event's chain hash writes three of these times.
        func char(_ c: Unicode.Scalar) { b[i] = UInt8(ascii: c); i += 1 }
        put(y, 4); char("-"); put(m, 2); char("-"); put(d, 2); char("T")
        put(secondOfDay / 3600, 2); char(":"); put(secondOfDay / 60 % 60, 2); char(":"); put(secondOfDay % 60, 2)
        if fraction != 0 { char("."); put(fraction, 6) }
        char("Z")
        return i
    }

    /// The split of `t` into its day number, second of the day and microseconds (floored,
    /// so times before 1970 count back from the day's start as `fields` does).
    @inline(__always) static func split(_ t: EventTime) -> (day: Int64, secondOfDay: Int64, fraction: Int64) {
        let micros = t.micros
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
        var day = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; day -= 1 }
        return (day, secondOfDay, fraction)
    }

    /// `YYYY-MM-DDT` of day number `day` (11 bytes, in the first 11 of the 16 returned in
    /// memory order); nil outside years 0–9999. A frame's writer keeps the last one: a
    /// window's start and end, and the windows closed together, nearly always share it.
    static func datePrefix(ofDay day: Int64) -> (UInt64, UInt64)? {
        let (y, m, d) = CivilCalendar.date(ofDay: day)
        guard (0...9999).contains(y) else { return nil }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { b in
            let out = b.baseAddress!
            DigitPairs.write(Int(y / 100), to: out)
            DigitPairs.write(Int(y % 100), to: out + 2)
            out.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 4, as: UInt8.self)
            DigitPairs.write(Int(m), to: out + 5)
            out.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 7, as: UInt8.self)
            DigitPairs.write(Int(d), to: out + 8)
            out.storeBytes(of: UInt8(ascii: "T"), toByteOffset: 10, as: UInt8.self)
        }
        return words
    }

    /// Years outside 0–9999 (never a real window): plain string building.
    private static func wide(_ t: EventTime) -> String {
        let (y, m, d, secondOfDay, fraction) = fields(t)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
            + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2) + (fraction != 0 ? "." + pad(fraction, 6) : "") + "Z"
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
