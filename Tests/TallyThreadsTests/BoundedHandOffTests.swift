import Foundation
import Testing
import Synchronization
@testable import TallyThreads

/// The hand-off between two threads (the rater's and its decode thread, the rule log's fold and
/// its decode thread): bounded, first in first out, and closing it wakes a thread waiting on
/// either side.
@Suite struct BoundedHandOffTests {
    /// Runs `body` on a new thread; the returned semaphore is signalled when it returns.
    static func onThread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
        let finished = DispatchSemaphore(value: 0)
        Thread { body(); finished.signal() }.start()
        return finished
    }

    /// Spins until `queue` has a thread waiting in it (no sleeping: it yields the core).
    static func awaitWaiter<T>(_ queue: BoundedHandOff<T>) {
        while queue.waitingThreads == 0 { sched_yield() }
    }

    @Test func itemsComeOutInOrderAndTheQueueNeverHoldsMoreThanItsCapacity() {
        let queue = BoundedHandOff<Int>(capacity: 2)
        let producer = Self.onThread {
            for i in 0 ..< 1_000 { queue.put(i) }
            queue.close()
        }
        var taken: [Int] = []
        while let item = queue.take() {
            #expect(queue.count <= 2)
            taken.append(item)
        }
        #expect(producer.wait(timeout: .now() + 30) == .success)
        #expect(taken == Array(0 ..< 1_000))
        #expect(queue.mostEverHeld <= 2)
    }

    @Test func aPutIntoAFullQueueWaitsForATake() {
        let queue = BoundedHandOff<Int>(capacity: 1)
        #expect(queue.put(1))
        let putter = Self.onThread { queue.put(2) }
        Self.awaitWaiter(queue)
        #expect(queue.count == 1)  // the second item waits outside
        #expect(queue.take() == 1)
        #expect(putter.wait(timeout: .now() + 30) == .success)
        #expect(queue.take() == 2)
    }

    /// A taken item is the taker's alone, even while later items wait: the rule log's fold
    /// changes each batch it takes, and a reference left in the queue made that a copy.
    @Test func aTakenItemIsNoLongerHeldByTheQueue() {
        final class Box {}
        let queue = BoundedHandOff<Box>(capacity: 3)
        for _ in 0 ..< 3 { queue.put(Box()) }
        for left in [2, 1, 0] {
            var item = queue.take()!
            #expect(isKnownUniquelyReferenced(&item))
            #expect(queue.count == left)
        }
    }

    @Test func closingWakesAWaitingTakerWithNothing() {
        let queue = BoundedHandOff<Int>(capacity: 2)
        let result = Mutex<Int??>(nil)
        let taker = Self.onThread { let item = queue.take(); result.withLock { $0 = .some(item) } }
        Self.awaitWaiter(queue)
        queue.close()
        #expect(taker.wait(timeout: .now() + 30) == .success)
        #expect(result.withLock { $0 } == .some(nil))
    }

    @Test func closingWakesAWaitingPutterAndRefusesItsItemButKeepsWhatWasQueued() {
        let queue = BoundedHandOff<Int>(capacity: 1)
        queue.put(1)
        let accepted = Mutex<Bool?>(nil)
        let putter = Self.onThread { let ok = queue.put(2); accepted.withLock { $0 = ok } }
        Self.awaitWaiter(queue)
        queue.close()
        #expect(putter.wait(timeout: .now() + 30) == .success)
        #expect(accepted.withLock { $0 } == false)
        #expect(queue.put(3) == false)
        #expect(queue.take() == 1)  // drained after close
        #expect(queue.take() == nil)
    }
}
