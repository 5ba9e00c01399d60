import TallyCore

/// What a script sees of one closed window: the table `window` passed to `rate(window)`.
/// Plain values, so the rating core can adapt its own input to it.
public struct ScriptWindow: Sendable, Equatable {
    public var metric: String
    /// The project being rated.
    public var scope: String
    public var user: String
    public var resource: String
    public var unit: String
    public var quantity: ExactDecimal
    /// Window bounds; scripts get whole epoch seconds (UTC), rounded down.
    public var start: EventTime
    public var end: EventTime
    public var groupby: [String: String]
    public var metadata: [String: ScriptValue]
    /// The price given by the modules that ran before this one.
    public var price: ExactDecimal

    public init(metric: String, scope: String, user: String = "", resource: String = "", unit: String = "",
                quantity: ExactDecimal, start: EventTime, end: EventTime,
                groupby: [String: String] = [:], metadata: [String: ScriptValue] = [:],
                price: ExactDecimal = .zero) {
        self.metric = metric; self.scope = scope; self.user = user; self.resource = resource
        self.unit = unit; self.quantity = quantity; self.start = start; self.end = end
        self.groupby = groupby; self.metadata = metadata; self.price = price
    }
}

/// A metadata value as a script sees it. A JSON null is left out of the table (nil in
/// Lua); numbers with a fraction or exponent should come as `.decimal` so that
/// no binary float reaches the script.
public enum ScriptValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case decimal(ExactDecimal)
    case bool(Bool)
}
