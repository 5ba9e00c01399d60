import Foundation
import Synchronization
import Testing
import TallyThreads

/// Names reach the OS: what `ThreadName` sets is what Linux shows in /proc (and so top, perf
/// and `tally run`'s `thread_cpu_ms`), cut to 15 bytes; a `FollowerThread` runs under its name.
@Suite struct ThreadNameTests {
    /// The names Linux shows for this process's threads now.
    static func processThreadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .newlines) }
    }

    @Test func aThreadOfItsOwnCanBeRenamedAndLinuxShowsTheName() {
        // A thread of the test's own, so no other test's thread is renamed.
        final class Seen: @unchecked Sendable { var before: String?; var after: String?; var comm: String? }
        let seen = Seen()
        let done = DispatchSemaphore(value: 0)
        Thread {
            seen.before = ThreadName.current
            #expect(ThreadName.setCurrent("tally-test-thread-long-name"))
            seen.after = ThreadName.current
            seen.comm = try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
            done.signal()
        }.start()
        done.wait()
        #expect(seen.before != nil)
        #expect(seen.after == "tally-test-thre")  // Linux keeps 15 bytes
        #expect(seen.comm == "tally-test-thre\n")
    }

    @Test func aFollowerThreadRunsUnderItsNameInProc() {
        let thread = FollowerThread(name: "tally-test-flw")
        let named = Atomic<Bool>(false)
        thread.start {
            named.store(ThreadName.current == "tally-test-flw", ordering: .releasing)
            while !thread.isStopping { sched_yield() }
        }
        // The thread names itself first thing: look (yielding between looks) until /proc shows it.
        var shown = false
        for _ in 0..<100_000 where !shown {
            shown = Self.processThreadNames().contains("tally-test-flw")
            if !shown { sched_yield() }
        }
        thread.stop()
        #expect(shown)
        let namedItself = named.load(ordering: .acquiring)
        #expect(namedItself)
    }
}
