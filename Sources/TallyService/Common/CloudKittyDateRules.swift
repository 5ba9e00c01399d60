import TallyCore

/// CloudKitty 23's rules for dated rating rules (`cloudkitty/rating/common/validations/
/// fields.py`), with its error texts, which its own API tests look for: a rule that has
/// not started is freely editable; once started, only an `end` may be set, in the future,
/// and only if it had none.
enum CloudKittyDateRules {
    /// CloudKitty prints dates as Python's `str(datetime)`: `2026-12-05 23:10:00`.
    static func python(_ t: EventTime) -> String {
        String(Timestamps.iso8601(t).dropLast().map { $0 == "T" ? " " : $0 })
    }

    static func startedAndChanged(start: EventTime) -> APIError {
        APIError.badRequest("You are allowed to update only the attribute [end] as this rule is already running as it "
                            + "started on [\(python(start))]")
    }

    static func endInThePast(end: EventTime, now: EventTime) -> APIError {
        APIError.badRequest("End date must be in the future. end=[\(python(end))] current time=[\(python(now))]")
    }

    static let alreadyEnded = APIError.badRequest(
        "Cannot update a rule that was already processed and has a defined end date.")

    static func endBeforeStart(start: EventTime, end: EventTime) -> APIError {
        APIError.badRequest("Cannot create a rule with start after end. start=[\(python(start))] end=[\(python(end))].")
    }

    /// What an update of a started rule may do: nil when nothing changes, else its new end.
    /// `changed` says whether anything other than `end` differs from the rule as it is.
    static func endOfStartedRule(start: EventTime, currentEnd: EventTime?, newEnd: EventTime?, changed: Bool,
                                 now: EventTime) throws -> EventTime? {
        guard currentEnd == nil else { throw alreadyEnded }
        if changed { throw startedAndChanged(start: start) }
        guard let newEnd else { return nil }
        if newEnd < now { throw endInThePast(end: newEnd, now: now) }
        return newEnd
    }
}
