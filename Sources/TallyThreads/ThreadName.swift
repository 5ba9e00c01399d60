import CTallyThreads

/// The name Linux shows for the calling thread (`comm`: top, perf, `tally run`'s
/// `thread_cpu_ms`). Foundation's `Thread.name` stays inside Foundation and never reaches
/// the OS, so every thread of Tally's own is named here (`FollowerThread` does it at start).
public enum ThreadName {
    /// Linux keeps 15 bytes of a name (16 with the terminating zero).
    public static let maxBytes = 15

    /// Renames the calling thread, cut to its first `maxBytes` bytes. Best effort: false if
    /// the OS refused.
    @discardableResult
    public static func setCurrent(_ name: String) -> Bool {
        var bytes = Array(name.utf8.prefix(maxBytes)).map { CChar(bitPattern: $0) }
        bytes.append(0)
        return tally_thread_set_name(bytes) == 0
    }

    /// The calling thread's name, or nil if it cannot be read.
    public static var current: String? {
        var buffer = [CChar](repeating: 0, count: maxBytes + 1)
        guard tally_thread_get_name(&buffer, buffer.count) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
