import Foundation

/// The `tally` executable built next to this test bundle, run as a real process.
enum TallyProcess {
    static var executable: URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [here, here.deletingLastPathComponent()] {
            let candidate = dir.appendingPathComponent("tally")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        // `swift test` runs the bundle from .build/<triple>/debug; fall back to the package's build folder.
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return package.appendingPathComponent(".build/debug/tally")
    }

    /// Starts `tally args…` with its output going to `log`.
    static func start(_ args: [String], log: URL) throws -> Process {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = args
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Runs `tally args…` to completion; returns its exit status and output.
    static func run(_ args: [String], timeout: TimeInterval = 300) throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tally-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let process = try start(args, log: log)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// The counters `tally run` prints when it stops: `name value` lines.
    static func counters(in output: String) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = UInt64(parts[1]) { out[String(parts[0])] = v }
        }
        return out
    }
}
