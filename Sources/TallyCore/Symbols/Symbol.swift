/// An interned byte string. `Symbol.none` (0) stands for a missing or null value.
public struct Symbol: Hashable, Comparable, Sendable {
    public var raw: UInt32
    @inlinable public init(raw: UInt32) { self.raw = raw }
    public static let none = Symbol(raw: 0)
    @inlinable public var isNone: Bool { raw == 0 }
    @inlinable public static func < (a: Symbol, b: Symbol) -> Bool { a.raw < b.raw }
}
