extension ExactDecimal {
    /// The canonical text of a price, as it travels in JSON and appears in hashes:
    /// plain notation (never an exponent), trailing fractional zeros stripped, no
    /// trailing point, zero as "0" (never "-0"), a leading "-" only for negatives.
    /// Equal values render identically: `1.10`, `1.1` and `11e-1` all give "1.1";
    /// `1.5E+3` gives "1500".
    public var canonicalText: String { normalized().description }
}
