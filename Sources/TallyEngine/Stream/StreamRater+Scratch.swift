import TallyCore

extension StreamRater {
    /// The end of a replay's bounded input, for a scratch rater whose state is thrown
    /// away: moves the clock past every open window and closes them all, exactly as
    /// `commitBatch(wallNow:endOfInput: true)` would, but writes nothing to the store (a
    /// replay would only copy every window and dedupe key into memory a second time).
    /// Frames go to `frameSink` (or `frameRecordSink`), which a scratch rater must have.
    public func closeEverything(wallNow: EventTime) throws {
        precondition(frameSink != nil || frameRecordSink != nil, "closeEverything is for a scratch rater with a frame sink")
        if let failure = windows.readFailure { throw failure }
        advanceClock(wallNow: wallNow, endOfInput: true)
        closeDueWindows()
        if let failure = windows.readFailure { throw failure }
    }
}
