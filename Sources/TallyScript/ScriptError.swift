/// Why a script could not price a window. Every failure is one of these: a script never
/// yields a silent zero.
public struct ScriptError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// The text does not compile, is a binary chunk, or defines no `rate(window)`.
        case compile
        /// The script raised an error (its own `error(...)`, a bad operation, a refused
        /// float conversion, a dec overflow...).
        case runtime
        /// The call ran more instructions (plus charged library work) than its budget.
        case budgetExceeded
        /// The state would have grown past its memory cap.
        case memoryExceeded
        /// `rate` returned something other than a dec, a decimal string or an integer.
        case badReturn
    }

    public var kind: Kind
    /// The script's name, as given to `LuaScript.init`.
    public var script: String
    /// The script line Lua reported, when it reported one.
    public var line: Int?
    /// Lua's message, without its `name:line:` prefix.
    public var message: String

    public init(kind: Kind, script: String, line: Int?, message: String) {
        self.kind = kind
        self.script = script
        self.line = line
        self.message = message
    }

    public var description: String {
        let place = line.map { "script '\(script)' line \($0)" } ?? "script '\(script)'"
        return "\(place): \(kind.rawValue): \(message)"
    }
}

/// How many evaluations failed, per kind, so the engine can count rating-failed windows.
public struct ScriptErrorCounts: Equatable, Sendable {
    private var counts = [Int](repeating: 0, count: ScriptError.Kind.allCases.count)
    /// Evaluations that returned a price.
    public private(set) var succeeded = 0

    public init() {}

    public subscript(kind: ScriptError.Kind) -> Int {
        counts[Self.slot(kind)]
    }

    /// Failed evaluations of every kind.
    public var failed: Int { counts.reduce(0, +) }

    mutating func record(_ kind: ScriptError.Kind) { counts[Self.slot(kind)] += 1 }
    mutating func recordSuccess() { succeeded += 1 }

    private static func slot(_ kind: ScriptError.Kind) -> Int {
        ScriptError.Kind.allCases.firstIndex(of: kind)!
    }
}
