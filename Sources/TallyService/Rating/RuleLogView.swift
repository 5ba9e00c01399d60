import Dispatch
import Foundation
import TallyCore
import TallyKafka
import TallyRuntime
import TallyWire

/// The service's view of the rule log: reads take the follower's latest snapshot (no broker
/// read per request), and it is the only writer of the log in this process. Writes run on one
/// serial queue, so two API writes never race each other (a racing *other* writer is met
/// with the next snapshot and a retry, as `tally rules apply`); each write returns once the
/// follower has folded its event, so the caller's next read sees it (read-your-writes).
final class RuleLogView: @unchecked Sendable {
    let client: RuleLogClient
    let follower: RuleLogFollower
    /// Signs every event before it is published (nil: unsigned; tests of the unsigned path).
    let signer: RuleEventSigner?
    private let kafka: KafkaConfig
    private let queue = DispatchQueue(label: "tally.serve.rule-log")
    /// Kept across writes (a new producer costs a broker connection); dropped after an error
    /// (guarded by `queue`).
    private var producer: KafkaProducer?
    /// How long a read waits for the history at start-up, and a write for its own event.
    var readTimeout: TimeInterval = 15
    var writeTimeout: TimeInterval = 10

    init(client: RuleLogClient, follower: RuleLogFollower, kafka: KafkaConfig, signer: RuleEventSigner?) {
        self.client = client
        self.follower = follower
        self.kafka = kafka
        self.signer = signer
    }

    /// The latest snapshot: without waiting once the log was read to its end; before that,
    /// waits (off the event loop) for the history at most `readTimeout`. A 503 naming the
    /// reason while the log is unavailable.
    func snapshot() async throws -> RuleLogSnapshot {
        let (snapshot, status) = follower.current
        if status.caughtUp && status.lastError == nil { return snapshot }
        if let error = status.lastError { throw follower.unavailable(error) }
        let follower = self.follower, timeout = readTimeout
        return try await Blocking.run { try follower.readable(timeout: timeout) }
    }

    /// The fold, as far as the follower has read.
    func state() async throws -> RuleLogState { try await snapshot().state }

    /// Publishes `changes` as one event (a batch if several) authored by `author`, waits until
    /// the follower has folded it, and returns the state that includes it. A change readers
    /// would reject is thrown as its rejection and nothing is published; another writer
    /// publishing first is retried on the new head (the change is re-planned by `plan`, which
    /// sees the fresh state).
    func write(author: String, reason: String, force: Bool,
               plan: @escaping @Sendable (RuleLogState, EventTime) throws -> [PlannedRuleChange]) async throws -> RuleLogState {
        try await onQueue {
            for _ in 0..<5 {
                let snapshot = try self.follower.readable(timeout: self.readTimeout)
                let now = WallClock.now()
                let changes = try plan(snapshot.state, now)
                var publication = try RuleLogPublication(changes: changes, author: author, reason: reason, force: force,
                                                         now: now, state: snapshot.state, newID: { _ in Self.newUUID() })
                if let signer = self.signer { publication = try signer.sign(publication) }
                if !snapshot.topicExists { try self.client.ensureTopic() }
                let last = try self.produce(publication.records)
                guard let folded = self.follower.waitUntilFolded(last, timeout: self.writeTimeout) else {
                    throw self.follower.unavailable(
                        "the change was published (offset \(last)) but this service has not read it back within "
                        + "\(Int(self.writeTimeout)) s; it takes effect once folded: check the rule log before sending it again")
                }
                switch try Self.outcome(of: publication, in: folded, after: snapshot.nextOffset) {
                case .accepted: return folded.state
                case .rejected(_, let rejection): throw rejection
                case .retry: continue
                }
            }
            throw RuleEventRejection(.staleHead, "other writers kept publishing first; try again")
        }
    }

    /// What every reader made of the publication's events (the first not accepted decides),
    /// found as `RuleLogClient.publish` finds them: the first stored copy of each event.
    static func outcome(of publication: RuleLogPublication, in snapshot: RuleLogSnapshot,
                        after start: Int64) throws -> RuleLogClient.Outcome {
        let written = snapshot.records(from: start)
        var last = RuleLogClient.Outcome.accepted(offset: start)
        for event in publication.events {
            guard let record = written.first(where: { RuleEventCodec.isCanonical($0.bytes, of: event) }) else {
                throw RuleLogClientError("event \(event.id) was acknowledged but is not in the rule log when read back")
            }
            switch record.outcome {
            case .accepted: last = .accepted(offset: record.offset)
            case .rejected(let r) where r.code == .staleHead: return .retry(offset: record.offset, r)
            case .rejected(let r): return .rejected(offset: record.offset, r)
            case .alreadyFolded: throw RuleLogClientError("event \(event.id) at offset \(record.offset) was not folded")
            }
        }
        return last
    }

    /// Produces the records in order to the log's one partition and returns the offset of the
    /// last, as the broker acknowledged it. Runs on `queue`.
    private func produce(_ values: [[UInt8]]) throws -> Int64 {
        var config = kafka
        config["linger.ms"] = "0"  // one event per write: send it at once
        let producer = try self.producer ?? KafkaProducer(config: config)
        self.producer = producer
        do {
            let handle = try producer.topic(client.topic)
            for (i, value) in values.enumerated() {
                try producer.produce(to: handle, partition: 0, key: nil, value: value, token: UInt64(i))
            }
            var offsets: [Int64] = []
            var failure: KafkaError?
            try producer.flush(timeoutMs: Int32(writeTimeout * 1000)) { report in
                if let error = report.error { failure = failure ?? error } else { offsets.append(report.offset) }
            }
            if let failure { throw failure }
            guard offsets.count == values.count, let last = offsets.max() else {
                throw RuleLogClientError("the broker acknowledged \(offsets.count) of \(values.count) rule events")
            }
            return last
        } catch {
            self.producer = nil
            throw error
        }
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
                        // The broker is down or the topic unwritable: a clear 503, and the service keeps running.
                        throw self.follower.unavailable("\(error)")
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
