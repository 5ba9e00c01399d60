import Dispatch
import TallyCore
import TallyRuntime
import TallyWire

/// The service's view of the rule log: the fold of `tally.rules`, brought up to date from
/// the broker before every read and write, and the only writer of the log in this
/// process. All of it runs on one serial queue, so two API writes never race each other
/// (a racing *other* writer is met with a re-read and a retry, as `tally rules apply`).
final class RuleLogView: @unchecked Sendable {
    let client: RuleLogClient
    /// Signs every event before it is published (nil: unsigned; tests of the unsigned path).
    let signer: RuleEventSigner?
    private var reader = RuleLogReader()
    private let queue = DispatchQueue(label: "tally.serve.rule-log")
    /// Set once the log was read to its end (guarded by `queue`).
    private var refreshedOnce = false

    init(client: RuleLogClient, signer: RuleEventSigner?) {
        self.client = client
        self.signer = signer
    }

    /// The fold, up to date with the broker.
    func state() async throws -> RuleLogState {
        try await onQueue { try self.refresh() }
    }

    /// Publishes `changes` as one event (a batch if several) authored by `author`, then
    /// returns the state that includes it. A change readers would reject is thrown as its
    /// rejection and nothing is published; another writer publishing first is retried on
    /// the new head (the change is re-planned by `plan`, which sees the fresh state).
    func write(author: String, reason: String, force: Bool,
               plan: @escaping @Sendable (RuleLogState, EventTime) throws -> [PlannedRuleChange]) async throws -> RuleLogState {
        try await onQueue {
            for _ in 0..<5 {
                let state = try self.refresh()
                let now = WallClock.now()
                let changes = try plan(state, now)
                var publication = try RuleLogPublication(changes: changes, author: author, reason: reason, force: force,
                                                         now: now, state: state, newID: { _ in Self.newUUID() })
                if let signer = self.signer { publication = try signer.sign(publication) }
                let outcomes = try self.client.publish(publication)
                let folded = try self.refresh()
                switch outcomes.first {
                case .accepted?: return folded
                case .rejected(_, let rejection)?: throw rejection
                case .retry?, nil: continue
                }
            }
            throw RuleEventRejection(.staleHead, "other writers kept publishing first; try again")
        }
    }

    private func refresh() throws -> RuleLogState {
        let live = refreshedOnce
        for record in try client.readEvents(after: reader.state.lastOffset) {
            let outcome = reader.apply(bytes: record.bytes, offset: record.offset)
            // After the first read (the history), every event folded is a change picked up live.
            if live { RuleChangeLog.log(ServeLog.logger, eventBytes: record.bytes, offset: record.offset, outcome: outcome) }
        }
        refreshedOnce = true
        return reader.state
    }

    private func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    do { return try work() } catch let error as APIError { throw error } catch let error as RuleEventRejection {
                        throw error
                    } catch let error as RatingRoutes.NothingToChange {
                        throw error
                    } catch {
                        // The broker is down or the topic unreadable: a clear 503, and the service keeps running.
                        throw APIError(.serviceUnavailable, "the rule log \(self.client.topic) at \(self.client.bootstrapServers) is unavailable: \(error)")
                    }
                })
            }
        }
    }

    static func newUUID() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4 (random)
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return DerivedID.uuidShape(Hex.encode(bytes))
    }
}

/// Ids derived from content: the CloudKitty API names services, fields, groups and rules
/// by UUID, the rule log by name or id. An item's API id is derived from the event that
/// created its incarnation, so it is the same after every restart and for every reader,
/// and a name created again after a delete gets a new id, as a new CloudKitty row would.
enum DerivedID {
    static func uuid(_ parts: String...) -> String {
        var sha = SHA256()
        sha.update(parts.joined(separator: "\u{1F}").utf8)
        var bytes = sha.finalize()
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5 (name-based, SHA)
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return uuidShape(Hex.encode(bytes.prefix(16)))
    }

    static func uuidShape(_ hex: String) -> String {
        let h = Array(hex.utf8.prefix(32))
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(decoding: h[$0], as: UTF8.self) }.joined(separator: "-")
    }
}
