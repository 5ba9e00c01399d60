import TallyCore
import TallyWire

extension StreamRater {
    /// Decodes one record with its topic's decoder (the format rules: `SampleDecoder.decode(_:emit:reject:)`
    /// in AheadDecoder.swift).
    func decode(_ record: InputRecord, topic: Int, emit: (DecodedSample) -> Void,
                reject: (SampleRejection) -> Void) throws(RecordDecodeError) {
        try decoders[topic].decode(record, emit: emit, reject: reject)
    }

    /// A decoder for the decode thread, with this rater's inputs and metadata plan and a symbol
    /// table of its own (AheadDecoder.swift).
    public func makeAheadDecoder() -> AheadDecoder {
        AheadDecoder(settings: settings, plan: catalog.plan, topicIndex: topicIndex)
    }

    /// Hands in a batch the decode thread decoded: `fold` takes its records instead of decoding
    /// them, in the order they are folded. Only once the closing clock exists (before it, the
    /// preview decodes on this thread: StreamRater+PreClock.swift); the batch before it must
    /// be folded.
    public func adopt(_ batch: DecodedBatch) {
        precondition(!needsPreview, "a decoded batch before the closing clock exists (the preview decodes then)")
        predecoded = batch.records
        remap.receive(batch.newSymbols)
    }
}
