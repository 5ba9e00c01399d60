import Foundation
import Glibc
import Testing
import TallyRuntime
import TallyThreads

/// `ProcStat` reads the CPU figures `tally run` prints per thread and the benchmarks per
/// process: the name may hold spaces and parentheses, so the fields are counted after the
/// last `)`.
@Suite struct ProcStatTests {
    @Test func fieldsAreCountedAfterTheLastParenthesis() throws {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
        let line = "4242 (rdk:broker (1) x) S 17 4242 4242 0 -1 4194560 120 0 0 0 250 31 0 0 20 0 9 0\n"
        let stat = try #require(ProcStat.parse(line))
        #expect(stat.name == "rdk:broker (1) x")
        #expect(stat.parent == 17)
        #expect(stat.ticks == 281)
    }

    @Test func linesOfAnotherShapeAreRejected() {
        #expect(ProcStat.parse("") == nil)
        #expect(ProcStat.parse("12 (no close S 1 2 3") == nil)
        #expect(ProcStat.parse("12 (short) S 1 2 3 4 5") == nil)
        #expect(ProcStat.parse("12 (bad) S x 2 3 4 5 6 7 8 9 10 11 12 13") == nil)
    }

    @Test func thisProcessReadsAsItself() throws {
        let stat = try #require(ProcStat.read(path: "/proc/self/stat"))
        #expect(stat.parent == getppid())
        #expect(stat.ticks >= 0)
        #expect(ProcStat.read(path: "/proc/self/task/0/stat") == nil)
        #expect(ProcStat.ticksPerSecond > 0)
    }
}

/// Threads joined before `tally run` reports keep their CPU time under their name
/// (`TallyThreads` names them; its tests show the names reach /proc).
@Suite struct ThreadEndingTests {
    @Test func aThreadThatNotesItsEndingIsCountedUnderItsNameAfterItIsGone() throws {
        let done = DispatchSemaphore(value: 0)
        #expect(ThreadName.endedTicks["tally-noted-end"] == nil)
        Thread {
            ThreadName.setCurrent("tally-noted-end")
            ThreadName.noteEnding()
            done.signal()
        }.start()
        done.wait()
        #expect(ThreadName.endedTicks["tally-noted-end"] != nil)
    }
}
