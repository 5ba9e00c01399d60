/// Positions in `RuleLogState.histories` (never negative) that are almost always one or
/// two: a target's incarnations, the rules under one uniqueness key (a price change ends a
/// rule and creates it again under the same id and key: two). The first two are held
/// inline and the rest in an array that stays empty, so allocation-free, until a third
/// arrives: as `[Int32]` each created rule allocated two of these (~1/4 of the fold's
/// allocations), and with one inline each price change still allocated two arrays.
///
/// Equal lists have equal representations (`remove` rebuilds), so the synthesized
/// `Hashable` compares contents, as `[Int32]`'s did.
struct PositionList: RandomAccessCollection, Hashable, Sendable, ExpressibleByArrayLiteral {
    /// -1: empty (`second` is set only once `first` is, `rest` only once both are).
    private var first: Int32 = -1
    private var second: Int32 = -1
    private var rest: [Int32] = []

    init() {}

    init(arrayLiteral positions: Int32...) {
        for position in positions { append(position) }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { first < 0 ? 0 : second < 0 ? 1 : 2 + rest.count }

    subscript(index: Int) -> Int32 {
        precondition(index >= 0 && index < endIndex, "position list index \(index) out of range 0..<\(endIndex)")
        return index == 0 ? first : index == 1 ? second : rest[index - 2]
    }

    mutating func append(_ position: Int32) {
        precondition(position >= 0, "a history position is never negative")
        if first < 0 { first = position } else if second < 0 { second = position } else { rest.append(position) }
    }

    /// Removes every occurrence of `position` (an update that moves a rule to another key).
    mutating func remove(_ position: Int32) {
        guard contains(position) else { return }
        let kept = filter { $0 != position }
        self = PositionList()
        for p in kept { append(p) }
    }
}
