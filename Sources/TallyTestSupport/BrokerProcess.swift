import Foundation
import TallyKafka
#if canImport(Glibc)
import Glibc
#endif

/// A real noida-db Kafka broker for one test: own loopback port, own temporary data
/// directory, stopped by `stop()` or deinit — and also when the test process dies.
///
/// How the last part works: the broker is started by a small `sh` guardian whose stdin is
/// a pipe held only by this process. When the pipe closes — `stop()`, or the kernel closing
/// it because the test process exited or was SIGKILLed — the guardian's `read` returns and
/// it sends SIGTERM to the broker. `stop()` escalates to SIGKILL after a timeout.
/// Limitation: if the guardian itself is SIGKILLed alone, the broker is orphaned.
///
/// ```swift
/// let broker = try BrokerProcess.start()
/// defer { broker.stop() }
/// let config = broker.clientConfig
/// ```
public final class BrokerProcess {
    /// `127.0.0.1:PORT`.
    public let bootstrapServers: String

    /// Client properties for this broker: `bootstrap.servers`, plus a large
    /// `receive.message.max.bytes` because noida-db ignores the fetch size limits and may
    /// answer one fetch with a whole topic (seen: 210 MB for 1M × 200 B records).
    public var clientConfig: KafkaConfig { Self.clientConfig(bootstrapServers: bootstrapServers) }

    /// `clientConfig` for any broker address (harmless for a real Kafka cluster).
    public static func clientConfig(bootstrapServers: String) -> KafkaConfig {
        KafkaConfig(["bootstrap.servers": bootstrapServers, "receive.message.max.bytes": "1073741824"])
    }
    public let port: Int
    /// Temporary root holding `data/` and `broker.log`; removed by `stop()`.
    public let rootDirectory: String
    /// The broker's own process id (not the guardian's).
    public let brokerPID: pid_t
    private let guardian: Process
    private let guardianInput: Pipe
    private var stopped = false

    /// Starts a broker and waits until it answers a metadata request.
    public static func start(startupTimeout: Double = 30) throws -> BrokerProcess {
        var lastError: Error?
        // A free port can be taken between probing and binding; try a few.
        for _ in 0..<3 {
            do { return try BrokerProcess(startupTimeout: startupTimeout) } catch let error as BrokerProcessError {
                guard case .exitedEarly = error else { throw error }
                lastError = error
            }
        }
        throw lastError!
    }

    private init(startupTimeout: Double) throws {
        let binary = try Self.brokerBinary()
        port = try freeLoopbackPort()
        bootstrapServers = "127.0.0.1:\(port)"
        rootDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tally-broker-\(UUID().uuidString)").path
        let dataDirectory = rootDirectory + "/data"
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)

        let guardian = Process()
        self.guardian = guardian
        guardian.executableURL = URL(fileURLWithPath: "/bin/sh")
        guardian.arguments = ["-c", Self.guardianScript, "tally-broker-guardian",
                              binary, String(port), dataDirectory, rootDirectory + "/broker.log", rootDirectory]
        let guardianInput = Pipe()
        self.guardianInput = guardianInput
        let guardianOutput = Pipe()
        guardian.standardInput = guardianInput
        guardian.standardOutput = guardianOutput
        // No child may inherit our end of the pipe (it would outlive us), nor the test
        // process's sockets: Foundation's Process does not close descriptors for us.
        markDescriptorsCloseOnExec()
        try runWithDefaultSignalMask { try guardian.run() }
        try? guardianInput.fileHandleForReading.close()

        let pidLine = String(decoding: guardianOutput.fileHandleForReading.readLine(), as: UTF8.self)
        guard let pid = pid_t(pidLine.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            try? guardianInput.fileHandleForWriting.close()
            guardian.waitUntilExit()
            let log = (try? String(contentsOfFile: rootDirectory + "/broker.log", encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: rootDirectory)
            throw BrokerProcessError.exitedEarly(log: log)
        }
        brokerPID = pid
        do {
            try waitUntilReady(timeout: startupTimeout)
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// What the broker printed so far (for failure messages).
    public var log: String {
        (try? String(contentsOfFile: rootDirectory + "/broker.log", encoding: .utf8)) ?? ""
    }

    /// Stops the broker: SIGTERM, then SIGKILL after `timeout` seconds; removes its
    /// directory. Idempotent.
    public func stop(timeout: Double = 5) {
        guard !stopped else { return }
        stopped = true
        try? guardianInput.fileHandleForWriting.close()  // guardian sends SIGTERM
        let deadline = Date().addingTimeInterval(timeout)
        while guardian.isRunning && Date() < deadline { usleep(10_000) }
        if guardian.isRunning {
            kill(brokerPID, SIGKILL)
            guardian.terminate()
        }
        guardian.waitUntilExit()
        try? FileManager.default.removeItem(atPath: rootDirectory)
    }

    private func waitUntilReady(timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: Error?
        while Date() < deadline {
            guard kill(brokerPID, 0) == 0 else { throw BrokerProcessError.exitedEarly(log: log) }
            if canConnect(port: port) {
                do {
                    let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: bootstrapServers))
                    _ = try admin.topics(timeoutMs: 2_000)
                    return
                } catch { lastError = error }
            }
            usleep(20_000)
        }
        throw BrokerProcessError.notReady(seconds: timeout, lastError: lastError.map { "\($0)" }, log: log)
    }

    /// Starts the broker in the background, prints its pid, waits for stdin to close, then
    /// stops the broker and removes its directory.
    private static let guardianScript = """
        "$1" start --only kafka --kafka-port "$2" --host 127.0.0.1 --data-dir "$3" >"$4" 2>&1 </dev/null &
        broker=$!
        echo "$broker"
        while read -r _line; do :; done
        kill -TERM "$broker" 2>/dev/null
        wait "$broker"
        rm -rf "$5"
        """
}

public enum BrokerProcessError: Error, CustomStringConvertible {
    case binaryNotFound(String)
    case exitedEarly(log: String)
    case notReady(seconds: Double, lastError: String?, log: String)

    public var description: String {
        switch self {
        case .binaryNotFound(let detail):
            return "noida-db binary not found (\(detail)); install it with `pip install noida-db==0.2.3` or set NOIDA_DB_BINARY"
        case .exitedEarly(let log):
            return "noida-db exited during start-up; its log:\n\(log)"
        case .notReady(let seconds, let lastError, let log):
            return "noida-db did not answer metadata within \(seconds) s (last error: \(lastError ?? "none")); log:\n\(log)"
        }
    }
}
