/// CloudKitty's `mutate`: applied to a quantity after the unit conversion
/// (`qty * factor + offset`), exactly as CloudKitty's collectors do.
public enum Mutation: Hashable, Sendable {
    case none
    /// 1 if the quantity is not 0, else 0.
    case numbool
    /// 1 if the quantity is 0, else 0.
    case notnumbool
    /// Greatest integer ≤ quantity.
    case floor
    /// Smallest integer ≥ quantity.
    case ceil
    /// The mapped value of a numerically equal key, else 0 (CloudKitty's default).
    case map([MutationMapEntry])

    /// The names accepted in a metrics file.
    public static let configNames = ["NONE", "NUMBOOL", "NOTNUMBOOL", "FLOOR", "CEIL", "MAP"]

    public var configName: String {
        switch self {
        case .none: return "NONE"
        case .numbool: return "NUMBOOL"
        case .notnumbool: return "NOTNUMBOOL"
        case .floor: return "FLOOR"
        case .ceil: return "CEIL"
        case .map: return "MAP"
        }
    }

    public func apply(to quantity: ExactDecimal) -> ExactDecimal {
        switch self {
        case .none: return quantity
        case .numbool: return quantity.isZero ? .zero : .one
        case .notnumbool: return quantity.isZero ? .one : .zero
        case .floor: return integerFloor(quantity)
        case .ceil: return -integerFloor(-quantity)
        case .map(let entries):
            for entry in entries where entry.key == quantity { return entry.value }
            return .zero
        }
    }
}

/// One `mutate_map` entry: quantity `key` becomes `value`.
public struct MutationMapEntry: Hashable, Sendable {
    public var key: ExactDecimal
    public var value: ExactDecimal
    public init(key: ExactDecimal, value: ExactDecimal) { self.key = key; self.value = value }
}

/// ⌊x⌋ as an integer-valued decimal (exponent 0).
func integerFloor(_ x: ExactDecimal) -> ExactDecimal {
    if x.exponent >= 0 { return x }
    let scale = Int(-x.exponent)
    // |coefficient| < 10^39, so beyond 38 fraction digits the magnitude is below 1.
    if scale > 38 { return x.coefficient < 0 ? ExactDecimal(-1) : .zero }
    var power: Int128 = 1
    for _ in 0..<scale { power *= 10 }
    var quotient = x.coefficient / power
    if x.coefficient % power < 0 { quotient -= 1 }
    return ExactDecimal(coefficient: quotient, exponent: 0)
}
