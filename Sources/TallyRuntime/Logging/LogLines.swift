import Glibc
import Logging
import TallyCore

/// How `tally run` and `tally serve` write their log on standard error (`log.format`).
public enum LogFormat: String, CaseIterable, Sendable {
    /// One readable line per entry: the message, then `key=value` metadata (the default).
    case text
    /// One JSON object per line (JSON Lines): `time`, `level`, `logger`, `message`, then the
    /// metadata as string members, for log collectors.
    case json
}

/// Where log lines go: whole lines written with one `write(2)` each under a lock, so lines of
/// several threads never interleave. Tests pass their own sink.
public final class LogSink: @unchecked Sendable {
    private let lock = NSLockLike()
    private let emit: (String) -> Void

    public init(emit: @escaping (String) -> Void) { self.emit = emit }

    public static let standardError = LogSink { line in
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let n = Glibc.write(2, buffer.baseAddress! + written, buffer.count - written)
                if n <= 0 { break }
                written += n
            }
        }
    }

    func write(_ line: String) { lock.locked { emit(line) } }
}

/// A pthread mutex (Foundation's NSLock without importing Foundation here).
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}

/// A swift-log handler writing `LogFormat` lines to a `LogSink`.
public struct TallyLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let format: LogFormat
    let sink: LogSink
    let now: @Sendable () -> EventTime

    public init(label: String, format: LogFormat, level: Logger.Level, sink: LogSink = .standardError,
                now: @escaping @Sendable () -> EventTime = { WallClock.now() }) {
        self.label = label; self.format = format; self.logLevel = level; self.sink = sink; self.now = now
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level, message = event.message
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        if let error = event.error { merged["error"] = "\(error)" }
        let fields = merged.sorted { $0.key < $1.key }
        switch format {
        case .text:
            let rendered = fields.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            sink.write(rendered.isEmpty ? message.description : message.description + " (" + rendered + ")")
        case .json:
            var out = "{\"time\":\"" + Timestamps.iso8601(now()) + "\",\"level\":\"" + level.rawValue + "\",\"logger\":"
            out += CanonicalJSON.quoted(label) + ",\"message\":" + CanonicalJSON.quoted(message.description)
            for (key, value) in fields where !["time", "level", "logger", "message"].contains(key) {
                out += "," + CanonicalJSON.quoted(key) + ":" + CanonicalJSON.quoted(value.description)
            }
            sink.write(out + "}")
        }
    }
}

/// The process-wide logging of `tally run` and `tally serve`, set once from the configuration.
public enum TallyLogging {
    /// Installs `TallyLogHandler` for every logger of the process (swift-log allows this once).
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in TallyLogHandler(label: label, format: format, level: level) }
    }
}
