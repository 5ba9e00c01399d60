/// An instant as microseconds since the Unix epoch, UTC. Event times and window
/// bounds use it so the hot path never touches `Date`.
public struct EventTime: Hashable, Comparable, Sendable {
    public var micros: Int64
    @inlinable public init(micros: Int64) { self.micros = micros }
    @inlinable public static func < (a: EventTime, b: EventTime) -> Bool { a.micros < b.micros }
    public static let microsPerSecond: Int64 = 1_000_000
}
