/// The resources one script may use. Defaults suit rating scripts of tens to hundreds of
/// lines; a runaway script fails its window within a few milliseconds.
public struct ScriptLimits: Sendable, Equatable {
    /// Lua VM instructions per evaluation (top-level chunk plus `rate`). Library work done
    /// in C is charged too: allocation (1 per 64 bytes) and a worst-case estimate for
    /// pattern matching, sorting and array shifting.
    public var instructionBudget: Int64
    /// Bytes the whole Lua state may hold (libraries, the window, garbage not yet
    /// collected). The sandbox itself uses about 30 KiB of it.
    public var memoryCap: Int
    /// Instructions between budget checks; smaller is more precise and slower.
    public var checkInterval: Int32

    public init(instructionBudget: Int64 = 1_000_000, memoryCap: Int = 4 << 20, checkInterval: Int32 = 1_000) {
        self.instructionBudget = instructionBudget
        self.memoryCap = memoryCap
        self.checkInterval = checkInterval
    }

    public static let `default` = ScriptLimits()
}
