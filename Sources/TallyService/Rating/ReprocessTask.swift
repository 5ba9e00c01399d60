import TallyCore
import TallyIndex
import TallyWire

/// One reprocessing accepted by `POST /v2/task/reprocesses`, as `GET` lists it. Stored as a
/// canonical JSON document in the frame index's environment so that the list survives a restart.
struct ReprocessTask: Sendable, Equatable {
    var scope: String
    var reason: String
    var start: EventTime
    var end: EventTime
    var replayID: String
    var executed: Bool

    var encoded: [UInt8] {
        CanonicalJSON.object(["scope": .string(scope), "reason": .string(reason), "start": .integer(start.micros),
                              "end": .integer(end.micros), "replay_id": .string(replayID), "executed": .bool(executed)]).bytes
    }

    init(scope: String, reason: String, start: EventTime, end: EventTime, replayID: String, executed: Bool) {
        self.scope = scope; self.reason = reason; self.start = start; self.end = end; self.replayID = replayID
        self.executed = executed
    }

    /// nil when the document is not a task (never written by this code).
    init?(encoded: [UInt8]) {
        guard case .object(let m)? = try? CanonicalJSONParser.parse(encoded),
              case .string(let scope)? = m["scope"], case .string(let reason)? = m["reason"],
              case .integer(let start)? = m["start"], case .integer(let end)? = m["end"],
              case .string(let replayID)? = m["replay_id"], case .bool(let executed)? = m["executed"] else { return nil }
        self.init(scope: scope, reason: reason, start: EventTime(micros: start), end: EventTime(micros: end),
                  replayID: replayID, executed: executed)
    }

    /// The tasks stored in `index` (none without an index, or if it cannot be read: the list is
    /// informational, the corrections themselves are on the corrections topic).
    static func stored(in index: FrameIndex?) -> [ReprocessTask] {
        ((try? index?.reprocessTasks()) ?? []).compactMap(ReprocessTask.init(encoded:))
    }
}
