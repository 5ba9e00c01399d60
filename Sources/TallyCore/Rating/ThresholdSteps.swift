/// A threshold list's effect on the group accumulators, precomputed for each interval
/// between its distinct levels, so a window offers one threshold per group it hits instead
/// of comparing every level and offering every hit.
///
/// Offering is a max-fold per group: a candidate replaces the group's threshold only at a
/// strictly higher level, so among a list's hits in one group only the first of the highest
/// level can matter, whatever the group held before; and the touch order only needs each
/// group's first hit. The hits of a value v are the thresholds with level <= v, the same
/// set for every v between two adjacent levels. So for each count c of levels <= v, the
/// list's hits reduce to one threshold per group, listed in the order of the groups' first
/// hits; offering those gives the same accumulators and touch order as offering every hit
/// (HashmapFastPathTests holds the two equal over random books).
///
/// Built only when every level has an `OrderKey` and the list is short enough (levels ×
/// thresholds ≤ 4,096, which also bounds the reduced lists); the window's value then needs a
/// key too, else matching walks the list as before.
struct ThresholdSteps {
    /// Every threshold of the list, in its order (the general path).
    var all: UnsafeBufferPointer<CompiledThreshold>
    /// The distinct level keys, ascending (empty when the steps were not built).
    var keys: UnsafeBufferPointer<Int128>
    /// `offers[starts[c] ..< starts[c + 1]]`: the reduced hits when c keys are <= the value
    /// (`keys.count + 1` lists; the first is empty).
    var starts: UnsafeBufferPointer<Int32>
    var offers: UnsafeBufferPointer<UnsafePointer<CompiledThreshold>>

    /// Whether a window can use the reduced lists (else `all`, compared one by one).
    @inline(__always) var isStepped: Bool { keys.count != 0 }

    /// The reduced hits of a value whose key is `key` (not `OrderKey.none`).
    @inline(__always) func offers(at key: Int128) -> UnsafeBufferPointer<UnsafePointer<CompiledThreshold>> {
        var low = 0, high = keys.count
        if high <= 8 {
            while low < high && keys[low] <= key { low += 1 }
        } else {
            while low < high {
                let mid = (low + high) / 2
                if keys[mid] <= key { low = mid + 1 } else { high = mid }
            }
        }
        let from = Int(starts[low]), to = Int(starts[low + 1])
        return UnsafeBufferPointer(rebasing: offers[from..<to])
    }

    /// The steps of `thresholds` (which must outlive them); free with `free`.
    /// `stepped: false` keeps only `all` (tests hold the two paths equal).
    static func make(_ thresholds: UnsafeBufferPointer<CompiledThreshold>, stepped: Bool = true) -> UnsafeMutablePointer<ThresholdSteps> {
        let steps = UnsafeMutablePointer<ThresholdSteps>.allocate(capacity: 1)
        steps.initialize(to: ThresholdSteps(all: thresholds, keys: .init(start: nil, count: 0),
                                            starts: .init(start: nil, count: 0), offers: .init(start: nil, count: 0)))
        guard stepped, !thresholds.isEmpty, thresholds.allSatisfy({ $0.levelKey != OrderKey.none }) else { return steps }
        let keys = Array(Set(thresholds.map(\.levelKey))).sorted()
        // Building walks the list once per level: a long list with many levels keeps the walk
        // rather than costing its compile (each tenant overlay with thresholds builds its own).
        guard thresholds.count * keys.count <= 4096 else { return steps }
        var starts: [Int32] = [0, 0]
        var offers: [UnsafePointer<CompiledThreshold>] = []
        for bound in keys {
            // The hits of a value at `bound`: one per group, first of its highest level.
            var position: [Int32: Int] = [:]
            var reduced: [UnsafePointer<CompiledThreshold>] = []
            for i in 0..<thresholds.count where thresholds[i].levelKey <= bound {
                let t = thresholds.baseAddress! + i
                if let at = position[t.pointee.group] {
                    if t.pointee.levelKey > reduced[at].pointee.levelKey { reduced[at] = t }
                } else {
                    position[t.pointee.group] = reduced.count
                    reduced.append(t)
                }
            }
            offers += reduced
            starts.append(Int32(offers.count))
        }
        steps.pointee.keys = copy(keys)
        steps.pointee.starts = copy(starts)
        steps.pointee.offers = copy(offers)
        return steps
    }

    static func free(_ steps: UnsafeMutablePointer<ThresholdSteps>) {
        steps.pointee.keys.deallocate()
        steps.pointee.starts.deallocate()
        steps.pointee.offers.deallocate()
        steps.deallocate()
    }

    private static func copy<T>(_ items: [T]) -> UnsafeBufferPointer<T> {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: items.count)
        _ = buffer.initialize(from: items)
        return UnsafeBufferPointer(buffer)
    }
}
