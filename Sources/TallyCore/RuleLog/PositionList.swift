/// Positions in `RuleLogState.histories` (never negative) that are almost always one: a
/// target's incarnations, the rules under one uniqueness key. The first is held inline and
/// the rest in an array that stays empty, so allocation-free, until a second arrives: as
/// `[Int32]` each created rule allocated two of these (~1/4 of the fold's allocations).
///
/// Equal lists have equal representations (`remove` rebuilds), so the synthesized
/// `Hashable` compares contents, as `[Int32]`'s did.
struct PositionList: RandomAccessCollection, Hashable, Sendable, ExpressibleByArrayLiteral {
    /// -1: empty.
    private var first: Int32 = -1
    private var rest: [Int32] = []

    init() {}

    init(arrayLiteral positions: Int32...) {
        for position in positions { append(position) }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { first < 0 ? 0 : 1 + rest.count }

    subscript(index: Int) -> Int32 {
        precondition(index >= 0 && index < endIndex, "position list index \(index) out of range 0..<\(endIndex)")
        return index == 0 ? first : rest[index - 1]
    }

    mutating func append(_ position: Int32) {
        precondition(position >= 0, "a history position is never negative")
        if first < 0 { first = position } else { rest.append(position) }
    }

    /// Removes every occurrence of `position` (an update that moves a rule to another key).
    mutating func remove(_ position: Int32) {
        guard contains(position) else { return }
        let kept = filter { $0 != position }
        self = PositionList()
        for p in kept { append(p) }
    }
}
