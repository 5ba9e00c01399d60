import Foundation

// Foundation is used here only, once per zone at configuration load.
extension ZoneRules {
    /// First and last instants (s since 1970) covered by a table built from Foundation:
    /// 1900-01-01 to 2200-01-01 UTC. Outside it the nearest offset in force is used.
    static let tableStartSeconds: Int64 = -2_208_988_800
    static let tableEndSeconds: Int64 = 7_258_118_400

    /// Builds the offset table of an IANA zone, or nil if Foundation does not know it.
    ///
    /// The offset is sampled every 7 days and each change is located to the second by
    /// bisection, which finds every transition (DST or a change of standard offset) that
    /// is at least a week away from the next one, without trusting any DST-only API.
    public convenience init?(identifier: String) {
        if identifier == "UTC" || identifier == "Etc/UTC" {
            self.init(identifier: identifier, transitions: [], offsets: [0]); return
        }
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        func offset(_ seconds: Int64) -> Int64 {
            Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))))
        }
        let step: Int64 = 7 * 86_400
        var transitions: [Int64] = []
        var offsets: [Int64] = [offset(Self.tableStartSeconds) * 1_000_000]
        var previousTime = Self.tableStartSeconds
        var previousOffset = offset(previousTime)
        var time = previousTime + step
        while time <= Self.tableEndSeconds {
            let current = offset(time)
            if current != previousOffset {
                // Invariant: offset(low) == previousOffset, offset(high) != previousOffset.
                var low = previousTime, high = time
                while high - low > 1 {
                    let mid = low + (high - low) / 2
                    if offset(mid) == previousOffset { low = mid } else { high = mid }
                }
                transitions.append(high * 1_000_000)
                offsets.append(current * 1_000_000)
                previousOffset = current
            }
            previousTime = time
            time += step
        }
        self.init(identifier: identifier, transitions: transitions, offsets: offsets)
    }
}
