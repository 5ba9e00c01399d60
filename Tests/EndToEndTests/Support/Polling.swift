import Foundation

/// Asking a process again and again until it answers as hoped, from an async test.
///
/// The deadline is checked after an answer, and only an answer *asked for* after the deadline
/// can fail the wait. swift-testing runs tests in parallel on Swift's cooperative pool (one
/// thread per core here); synchronous tests that wait on child processes hold those threads
/// for minutes, so an async test can sleep far past its deadline. Judging the service by an
/// answer from before that sleep made CI fail `tally serve` for "not ready" when it had been
/// ready all along (its metrics, asked right after, showed everything indexed).
enum Polling {
    /// Calls `attempt` until it returns a value; nil if an attempt begun at or after
    /// `timeout` seconds from now still returned nil.
    static func until<T>(timeout: TimeInterval, intervalNanoseconds: UInt64 = 50_000_000,
                         _ attempt: () async throws -> T?) async throws -> T? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let asked = Date()
            if let value = try await attempt() { return value }
            if asked >= deadline { return nil }
            try await Task.sleep(nanoseconds: intervalNanoseconds)
        }
    }
}
