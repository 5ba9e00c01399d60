import TallyCore

/// Windows ordered by the clock time at which they close (end + grace): a binary
/// min-heap, so each batch pops exactly the windows the watermark has passed.
/// Entries name windows by key; an entry whose window is gone or already closed
/// is skipped when popped (a reopened window is pushed again).
struct CloseQueue {
    private var heap: [(at: EventTime, key: WindowKey)] = []

    var count: Int { heap.count }

    /// The latest closing time queued (a linear scan: used once, at the end of input).
    var latestDue: EventTime? { heap.map(\.at).max() }

    mutating func push(_ at: EventTime, _ key: WindowKey) {
        heap.append((at, key))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    /// Removes and returns the entries due at `clock`, earliest first.
    mutating func popDue(_ clock: EventTime) -> [(at: EventTime, key: WindowKey)] {
        var due: [(at: EventTime, key: WindowKey)] = []
        while let top = heap.first, top.at <= clock {
            due.append(top)
            let last = heap.removeLast()
            if heap.isEmpty { break }
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && less(heap[l], heap[m]) { m = l }
                if r < heap.count && less(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return due
    }

    /// Ties broken by key so that windows close in a deterministic order.
    private func less(_ a: (at: EventTime, key: WindowKey), _ b: (at: EventTime, key: WindowKey)) -> Bool {
        a.at != b.at ? a.at < b.at : a.key < b.key
    }
}
