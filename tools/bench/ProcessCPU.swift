import Foundation
import Glibc

/// CPU time of processes the bench does not wait for itself (the broker and the
/// server child its launcher starts), read from /proc: utime + stime of a process and
/// all of its descendants. The e2e bench reports per-process CPU time because on a
/// 2-core machine shared with the broker, wall-time ratios mostly measure the scheduler.
enum ProcessCPU {
    /// Clock ticks per second (`getconf CLK_TCK`), the unit of /proc/PID/stat's times.
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Seconds of CPU used so far by `root` and every live descendant of it.
    static func treeSeconds(_ root: pid_t) -> Double {
        var parents: [pid_t: pid_t] = [:]
        var ticks: [pid_t: Int] = [:]
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        for entry in entries {
            guard let pid = pid_t(entry), let stat = readStat(pid) else { continue }
            parents[pid] = stat.parent
            ticks[pid] = stat.ticks
        }
        var total = 0
        for (pid, used) in ticks where isDescendant(pid, of: root, parents: parents) { total += used }
        return Double(total) / ticksPerSecond
    }

    private static func isDescendant(_ pid: pid_t, of root: pid_t, parents: [pid_t: pid_t]) -> Bool {
        var current = pid
        for _ in 0..<64 {
            if current == root { return true }
            guard let parent = parents[current], parent > 1 else { return false }
            current = parent
        }
        return false
    }

    /// Parent pid and utime + stime (fields 4, 14 and 15 of /proc/PID/stat; the command
    /// name in field 2 may hold spaces, so fields are counted after its closing paren).
    private static func readStat(_ pid: pid_t) -> (parent: pid_t, ticks: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3), so field n is fields[n - 3].
        guard fields.count > 12, let parent = pid_t(fields[1]),
              let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return (parent, user + system)
    }
}

/// A child's exit status, peak RSS and CPU time (user + system, from wait4's rusage:
/// exact for the child and the children it waited for).
struct ChildRun {
    var status: Int32
    var maxRSSKiB: Int
    var cpuSeconds: Double
}
