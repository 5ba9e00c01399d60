import Foundation

/// A bounded first-in first-out queue between two threads: `put` waits while it is full,
/// `take` while it is empty, and `close` wakes both (a closed queue accepts nothing; what it
/// holds can still be taken, then `take` returns nil). The rater's decode thread sits
/// between two of these (TallyRater/DecodeThread.swift); the rule log's decode thread hands
/// its batches through one (TallyWire, RuleLogReader+TwoThreads.swift).
// @unchecked: every stored property is read and written only under `condition`.
public final class BoundedHandOff<Element>: @unchecked Sendable {
    public let capacity: Int
    private let condition = NSCondition()
    /// Taken items leave `nil` behind, so the taker holds the only reference (a batch it
    /// then changes is not copied) until the queue drains and the slots are cleared.
    private var items: [Element?] = []
    private var head = 0
    private var closed = false
    /// Threads waiting in `put` or `take` now, and the most items ever held (tests read them).
    private var waiting = 0
    private var mostHeld = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "a hand-off holds at least one item")
        self.capacity = capacity
    }

    /// Appends `item`, waiting while the queue is full; false (and `item` dropped) if the
    /// queue is or becomes closed. `item` is consumed: moved into the queue, so once the
    /// caller let go of it (`put(consume batch)`) the taker holds the only reference. A
    /// reference the putting thread still held when the taker changed a taken batch made
    /// that batch copy itself, retaining every string in it.
    @discardableResult
    public func put(_ item: consuming Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && items.count - head >= capacity { wait() }
        guard !closed else { return false }
        items.append(item)
        mostHeld = max(mostHeld, items.count - head)
        condition.broadcast()
        return true
    }

    /// The oldest item, waiting while the queue is empty and open; nil once it is closed and empty.
    public func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while !closed && head == items.count { wait() }
        guard head < items.count else { return nil }
        let item = items[head].take()
        head += 1
        if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
        condition.broadcast()
        return item
    }

    /// Accepts no more items and wakes every waiting thread.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    public var count: Int { locked { items.count - head } }
    var waitingThreads: Int { locked { waiting } }
    var mostEverHeld: Int { locked { mostHeld } }

    private func wait() {
        waiting += 1
        condition.wait()
        waiting -= 1
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}
