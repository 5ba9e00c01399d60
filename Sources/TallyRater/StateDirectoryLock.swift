import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One rater per state directory: an exclusive `flock` on `DIR/tally.lock`, held for
/// the life of this object (the kernel releases it when the process dies, even by
/// SIGKILL, so a crash never leaves a stale lock). The file holds the holder's pid,
/// for the message a second instance prints.
public final class StateDirectoryLock {
    public let path: String
    private let descriptor: Int32

    public init(directory: String) throws {
        path = directory + "/tally.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StateDirectoryLockError(directory: directory, detail: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.readHolder(fd)
            close(fd)
            if reason == EWOULDBLOCK {
                throw StateDirectoryLockError(directory: directory, detail: "another tally process "
                    + (holder.map { "(pid \($0)) " } ?? "") + "is running on this state directory (it holds \(path)); "
                    + "stop it first, or give this one its own state.path")
            }
            throw StateDirectoryLockError(directory: directory, detail: "cannot lock \(path): \(String(cString: strerror(reason)))")
        }
        descriptor = fd
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(descriptor) }  // releases the lock

    private static func readHolder(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}

public struct StateDirectoryLockError: Error, CustomStringConvertible {
    public let directory: String
    public let detail: String
    public var description: String { "state directory \(directory): \(detail)" }
}
