import Foundation
import Synchronization
import Testing
import TallyThreads

/// The thread the topic followers and the decode threads run on: `stop()` raises the flag the loop
/// watches, wakes waiters, and returns only after the loop has returned.
@Suite struct FollowerThreadTests {
    @Test func stopRaisesTheFlagAndJoinsTheLoop() {
        let thread = FollowerThread(name: "test-follower")
        let rounds = Atomic<Int>(0), returned = Atomic<Bool>(false)
        thread.start {
            while !thread.isStopping { rounds.add(1, ordering: .relaxed); Thread.sleep(forTimeInterval: 0.001) }
            Thread.sleep(forTimeInterval: 0.05)  // a slow last poll: stop must still wait for it
            returned.store(true, ordering: .releasing)
        }
        while rounds.load(ordering: .relaxed) < 3 { Thread.sleep(forTimeInterval: 0.001) }
        var woken = false
        thread.stop(wake: { woken = true })
        #expect(woken)
        #expect(thread.isStopping)
        let loopReturned = returned.load(ordering: .acquiring)
        #expect(loopReturned, "stop() returned before the loop did")
        thread.stop()  // a second stop returns at once
    }

    @Test func stopWithoutStartReturnsAtOnce() {
        let thread = FollowerThread(name: "never-started")
        thread.stop()
        #expect(thread.isStopping)
    }
}
