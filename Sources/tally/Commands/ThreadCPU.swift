import Foundation
import TallyRuntime
import TallyThreads

/// CPU time of this process's threads, summed per thread name (Linux `/proc/self/task`).
/// `tally run` prints it at the end so a benchmark can tell the rating thread from
/// librdkafka's broker threads (`rdk:broker…`): a broker thread that polls the broker
/// costs CPU the rating thread's own timings do not show.
enum ThreadCPU {
    /// Milliseconds of user + system time per thread name, names sorted, then the threads
    /// that ended before (`ended_threads`) and the process's `total`.
    static func millisByName() -> [(name: String, millis: Int64)] {
        let ticksPerSecond = Int64(ProcStat.ticksPerSecond)
        guard ticksPerSecond > 0, let tids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return [] }
        var ticks: [String: Int64] = [:]
        for tid in tids {
            guard let stat = ProcStat.read(path: "/proc/self/task/\(tid)/stat") else { continue }
            ticks[stat.name.replacingOccurrences(of: " ", with: "_"), default: 0] += Int64(stat.ticks)
        }
        // Threads joined before this report that noted their time (the decode thread).
        for (name, n) in ThreadName.endedTicks { ticks[name.replacingOccurrences(of: " ", with: "_"), default: 0] += Int64(n) }
        let live = ticks.sorted { $0.key < $1.key }.map { ($0.key, $0.value * 1000 / ticksPerSecond) }
        // Threads that already ended (librdkafka's, once its clients are destroyed) are
        // gone from /proc/self/task but still in the process's own total.
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let total = Int64(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
            + Int64(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000
        let ended = total - live.reduce(0) { $0 + $1.1 }
        return live + [("ended_threads", max(0, ended)), ("total", total)]
    }
}
