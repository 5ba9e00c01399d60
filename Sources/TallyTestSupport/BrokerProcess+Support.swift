import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension BrokerProcess {
    /// The real noida-db executable. The `noida-db` command pip installs is a Python wrapper
    /// that runs the binary as a child and does not forward SIGTERM, so signalling it would
    /// orphan the broker: resolve the binary inside the Python package instead.
    /// `NOIDA_DB_BINARY` overrides. Resolved once per test process: tests start brokers in
    /// parallel, and a python3 run per broker, spawned while another test's guardian shell
    /// was being spawned, once left a test waiting for ever on the python process's exit
    /// (Foundation's `Process`, 7 Dec 2026). The first start resolves it; the others wait
    /// for that (a `static let` is initialized once, under a lock).
    static func brokerBinary() throws -> String { try resolvedBrokerBinary.get() }

    private static let resolvedBrokerBinary = Result<String, Error> { try locateBrokerBinary() }

    private static func locateBrokerBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["NOIDA_DB_BINARY"] { return path }
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c",
                            "from importlib.resources import files; print(files('noida_db').joinpath('noida-db'))"]
        let output = Pipe()
        python.standardOutput = output
        python.standardError = FileHandle.nullDevice
        do { try python.run() } catch { throw BrokerProcessError.binaryNotFound("cannot run python3: \(error)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        python.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard python.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: path) else {
            throw BrokerProcessError.binaryNotFound("python package noida_db gave \"\(path)\"")
        }
        return path
    }
}

/// Runs `body` (a process spawn) with no signals blocked on this thread, then restores the
/// mask. Swift's worker threads block most signals and spawned children inherit that mask:
/// the guardian shell would then never see SIGCHLD (its `wait` hangs) nor SIGTERM.
func runWithDefaultSignalMask<R>(_ body: () throws -> R) rethrows -> R {
    var unblocked = sigset_t()
    var saved = sigset_t()
    sigemptyset(&unblocked)
    pthread_sigmask(SIG_SETMASK, &unblocked, &saved)
    defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
    return try body()
}

/// Sets `FD_CLOEXEC` on every open descriptor above stderr. Spawned children still get
/// their own stdin/stdout/stderr (dup2 clears the flag on the copies).
func markDescriptorsCloseOnExec() {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
    for name in names {
        guard let fd = Int32(name), fd > 2 else { continue }
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }
}

/// Asks the kernel for a free port on 127.0.0.1 (bind to port 0, read it, release it).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    var address = loopback(port: 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = loopback(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

private func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}

extension FileHandle {
    /// Reads bytes up to a newline (excluded) or end of file.
    func readLine() -> [UInt8] {
        var line: [UInt8] = []
        while true {
            guard let chunk = try? read(upToCount: 1), let byte = chunk.first else { return line }
            if byte == UInt8(ascii: "\n") { return line }
            line.append(byte)
        }
    }
}
