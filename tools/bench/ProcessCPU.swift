import Foundation
import Glibc
import TallyRuntime

/// CPU time of processes the bench does not wait for itself (the broker and the
/// server child its launcher starts), read from /proc: utime + stime of a process and
/// all of its descendants. The e2e bench reports per-process CPU time because on a
/// 2-core machine shared with the broker, wall-time ratios mostly measure the scheduler.
enum ProcessCPU {
    /// Clock ticks per second (`getconf CLK_TCK`), the unit of /proc/PID/stat's times.
    static let ticksPerSecond = Double(ProcStat.ticksPerSecond)

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

    /// Seconds of CPU used so far by `pid`'s threads named `threadName` (/proc/PID/task/TID,
    /// whose stat has the same layout as a process's): the broker's autosave thread.
    static func threadSeconds(_ pid: pid_t, named threadName: String) -> Double {
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return 0 }
        var total = 0
        for tid in tids {
            guard let stat = ProcStat.read(path: "/proc/\(pid)/task/\(tid)/stat"), stat.name == threadName else { continue }
            total += stat.ticks
        }
        return Double(total) / ticksPerSecond
    }

    /// Waits until `root`'s tree uses less than `threshold` of a core over a second (at most
    /// `timeout` seconds) and returns how long it waited: noida-db rewrites its whole state
    /// file after every change (its `autosave` thread), so the phase after a load would
    /// otherwise pay for the load before it.
    static func waitUntilQuiet(_ root: pid_t, threshold: Double = 0.05, timeout: Double = 120) -> Double {
        let started = Date()
        var before = treeSeconds(root)
        while Date().timeIntervalSince(started) < timeout {
            usleep(1_000_000)
            let now = treeSeconds(root)
            if now - before < threshold { break }
            before = now
        }
        return Date().timeIntervalSince(started)
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

    private static func readStat(_ pid: pid_t) -> ProcStat? { ProcStat.read(path: "/proc/\(pid)/stat") }
}

/// A child's exit status, peak RSS and CPU time (user + system, from wait4's rusage:
/// exact for the child and the children it waited for).
struct ChildRun {
    var status: Int32
    var maxRSSKiB: Int
    var cpuSeconds: Double
}
