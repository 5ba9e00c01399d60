/// Renders event times as ISO 8601 UTC without Foundation.
public enum Timestamps {
    /// `2026-11-02T00:00:00Z`, with `.ffffff` only when there are microseconds.
    /// Written into a small byte buffer: frames render two of these each.
    public static func iso8601(_ t: EventTime) -> String {
        let micros = t.micros
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (y, m, d) = CivilCalendar.date(ofDay: days)
        guard (0...9999).contains(y) else {
            return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
                + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2) + (fraction != 0 ? "." + pad(fraction, 6) : "") + "Z"
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { b in
            var i = 0
            func put(_ v: Int64, _ width: Int) {
                var v = v
                for k in stride(from: width - 1, through: 0, by: -1) { b[i + k] = UInt8(48 + v % 10); v /= 10 }
                i += width
            }
            func char(_ c: Character) { b[i] = c.asciiValue!; i += 1 }
            put(y, 4); char("-"); put(m, 2); char("-"); put(d, 2); char("T")
            put(secondOfDay / 3600, 2); char(":"); put(secondOfDay / 60 % 60, 2); char(":"); put(secondOfDay % 60, 2)
            if fraction != 0 { char("."); put(fraction, 6) }
            char("Z")
            return String(decoding: UnsafeBufferPointer(rebasing: b[0..<i]), as: UTF8.self)
        }
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
