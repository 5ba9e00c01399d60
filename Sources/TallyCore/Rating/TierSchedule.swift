/// Cumulative pricing over a billing cycle (the tiers module, beyond CloudKitty).
///
/// The cycle price of a cumulative quantity Q, after at least one window, is
/// `C(Q) = max(P(max(0, Q − free)), minimum)` where P is the tier function. A window's
/// price is `C(through this window) − C(through the previous windows)`, windows taken
/// in start order, with `C = 0` before the cycle's first window. Consequences: the
/// minimum charge is topped up by the cycle's first window (later windows pay only
/// what exceeds it), and the cycle total is `C(total)` whatever order windows close in.
public struct TierSchedule: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Each unit is priced by the tier it falls in (plus each entered tier's flat fee).
        case graduated
        /// All units are priced by the tier the total falls in (plus that tier's flat fee).
        case volume
        /// Units are sold in whole packages: `ceil(Q / packageSize) × packagePrice`.
        case package
    }

    /// A band of the schedule: up to `upTo` cumulative units (nil: unbounded).
    public struct Tier: Sendable, Hashable {
        public var upTo: ExactDecimal?
        public var unitPrice: ExactDecimal
        public var flatFee: ExactDecimal
        public init(upTo: ExactDecimal?, unitPrice: ExactDecimal, flatFee: ExactDecimal = .zero) {
            self.upTo = upTo; self.unitPrice = unitPrice; self.flatFee = flatFee
        }
    }

    public var mode: Mode
    public var tiers: [Tier]
    public var packageSize: ExactDecimal
    public var packagePrice: ExactDecimal
    /// Units per cycle charged nothing, taken before any tier.
    public var freeAllowance: ExactDecimal
    /// The least a cycle with at least one window costs.
    public var minimumCharge: ExactDecimal

    public init(mode: Mode, tiers: [Tier] = [], packageSize: ExactDecimal = .one, packagePrice: ExactDecimal = .zero,
                freeAllowance: ExactDecimal = .zero, minimumCharge: ExactDecimal = .zero) {
        self.mode = mode; self.tiers = tiers; self.packageSize = packageSize; self.packagePrice = packagePrice
        self.freeAllowance = freeAllowance; self.minimumCharge = minimumCharge
    }

    /// P: the price of `units` billable units, without allowance or minimum.
    public func tierFunction(_ units: ExactDecimal) -> ExactDecimal {
        if units <= .zero { return .zero }
        switch mode {
        case .package:
            return units.divided(by: packageSize).integerCeiling().value * packagePrice
        case .volume:
            let tier = tiers.first { $0.upTo.map { units <= $0 } ?? true } ?? tiers[tiers.count - 1]
            return units * tier.unitPrice + tier.flatFee
        case .graduated:
            var total = ExactDecimal.zero
            var lower = ExactDecimal.zero
            for tier in tiers where units > lower {
                let upper = tier.upTo.map { min($0, units) } ?? units
                total = total + (upper - lower) * tier.unitPrice + tier.flatFee
                guard let bound = tier.upTo else { break }
                lower = bound
            }
            return total
        }
    }

    /// C: the cycle price through `quantity` cumulative units over `windows` windows.
    public func cumulativePrice(quantity: ExactDecimal, windows: Int) -> ExactDecimal {
        if windows == 0 { return .zero }
        let billable = quantity - freeAllowance
        let price = tierFunction(billable.isNegative ? .zero : billable)
        return max(price, minimumCharge)
    }

    /// A window's price given the usage of the cycle's earlier windows.
    public func windowPrice(priorQuantity: ExactDecimal, priorWindows: Int, quantity: ExactDecimal) -> ExactDecimal {
        cumulativePrice(quantity: priorQuantity + quantity, windows: priorWindows + 1)
            - cumulativePrice(quantity: priorQuantity, windows: priorWindows)
    }
}

extension ExactDecimal {
    /// The smallest integer ≥ self, and whether self already was one.
    func integerCeiling() -> (value: ExactDecimal, wasInteger: Bool) {
        if exponent >= 0 { return (self, true) }
        let scale = -Int(exponent)
        if scale > 38 { return (isNegative || isZero ? .zero : .one, isZero) }
        let (q, r) = coefficient.quotientAndRemainder(dividingBy: Int128(Pow10.u128[scale]))
        let ceiling = r > 0 ? q + 1 : q
        return (ExactDecimal(coefficient: ceiling, exponent: 0), r == 0)
    }
}
