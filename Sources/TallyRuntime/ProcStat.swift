import Foundation
import Glibc
import Synchronization
import TallyThreads

/// One line of Linux's `/proc/PID/stat` or `/proc/PID/task/TID/stat` (proc(5)): the
/// command name, the parent and the CPU time used. `tally run`'s per-thread CPU report and
/// the benchmarks' per-process CPU figures both read it.
public struct ProcStat: Sendable, Equatable {
    /// The command or thread name (field 2, without its parentheses).
    public var name: String
    /// The parent process id (field 4).
    public var parent: pid_t
    /// utime + stime (fields 14 and 15), in clock ticks.
    public var ticks: Int

    /// Clock ticks per second (`getconf CLK_TCK`), the unit of `ticks`.
    public static let ticksPerSecond = Int(sysconf(Int32(_SC_CLK_TCK)))

    /// Reads and parses the stat file at `path`; nil if it is gone (the thread or process
    /// ended) or not in the expected layout.
    public static func read(path: String) -> ProcStat? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return parse(text)
    }

    /// Parses a stat line. The name may hold spaces and parentheses, so it is everything
    /// between the first `(` and the last `)`, and the fields are counted after that.
    public static func parse(_ text: String) -> ProcStat? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3), so field n is fields[n - 3].
        guard fields.count > 12, let parent = pid_t(fields[1]),
              let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return ProcStat(name: String(text[text.index(after: open)..<close]), parent: parent, ticks: user + system)
    }
}

/// The CPU time of threads that ended, by the name they ran under (`tally run`'s
/// `thread_cpu_ms`); the names themselves are `TallyThreads`'.
extension ThreadName {
    /// Notes the calling thread's CPU time under its name, as its last act: a thread that is
    /// joined before the process reports (`tally run`'s decode thread) is gone from
    /// /proc/self/task by then, and would otherwise count only as `ended_threads`.
    public static func noteEnding() {
        guard let stat = ProcStat.read(path: "/proc/thread-self/stat") else { return }
        ended.withLock { $0[stat.name, default: 0] += stat.ticks }
    }

    /// The clock ticks of the threads that noted their ending, by name.
    public static var endedTicks: [String: Int] { ended.withLock { $0 } }

    private static let ended = Mutex<[String: Int]>([:])
}
