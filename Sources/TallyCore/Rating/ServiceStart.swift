/// Where every window of a service starts: the group accumulators, the touch order and
/// the applied (group, rule) pairs after the service's service mappings. Every service
/// mapping matches every window, so their effect is the same for all: computed once when
/// the index is compiled (by `HashmapRun.apply` itself, so the same rules), and copied
/// per window (~64 bytes a group) instead of applying each mapping (its flat compare or
/// rate multiply, touch and bookkeeping) again. Thresholds still depend on the window.
struct ServiceStart {
    /// Groups touched by service mappings, and mappings applied.
    var touchCount: Int
    var matchedCount: Int
    /// `groupCount` accumulators.
    var groups: UnsafeMutablePointer<HashmapModule.Accumulator>
    /// `HashmapRun`'s scratch layout: the touched groups, then from `groupCount` on the
    /// (group, rule) pairs.
    var scratch: UnsafeMutablePointer<Int32>

    /// Applies `mappings` for the index whose lookup is at `lookup` (not read: the run only
    /// needs it to exist) to fresh accumulators. Freed with `free`.
    static func make(_ mappings: UnsafeBufferPointer<CompiledMapping>, groupCount: Int,
                     lookup: UnsafePointer<ServiceIndex.Lookup>) -> UnsafeMutablePointer<ServiceStart> {
        let groups = UnsafeMutablePointer<HashmapModule.Accumulator>.allocate(capacity: max(groupCount, 1))
        groups.initialize(repeating: HashmapModule.Accumulator(), count: groupCount)
        let scratchCount = groupCount + 2 * mappings.count + 2
        let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: scratchCount)
        scratch.initialize(repeating: 0, count: scratchCount)
        var run = HashmapRun(index: lookup, front: ServiceIndex.Lookup.front(lookup), groups: UnsafeMutableBufferPointer(start: groups, count: groupCount),
                             scratch: UnsafeMutableBufferPointer(start: scratch, count: scratchCount), groupCount: groupCount,
                             explain: true, spareTrace: nil)
        for i in 0..<mappings.count { run.apply(mappings.baseAddress! + i) }
        let start = UnsafeMutablePointer<ServiceStart>.allocate(capacity: 1)
        start.initialize(to: ServiceStart(touchCount: run.touchCount, matchedCount: run.matchedCount, groups: groups, scratch: scratch))
        return start
    }

    static func free(_ start: UnsafeMutablePointer<ServiceStart>) {
        start.pointee.groups.deallocate()
        start.pointee.scratch.deallocate()
        start.deallocate()
    }
}
