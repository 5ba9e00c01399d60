import TallyCore
import TallyWire

extension StreamRater {
    /// Decodes one record with its topic's decoder (the format rules: `SampleDecoder.decode(_:emit:reject:)`
    /// in AheadDecoder.swift).
    func decode(_ record: InputRecord, topic: Int, emit: (DecodedSample) -> Void,
                reject: (SampleRejection) -> Void) throws(RecordDecodeError) {
        try decoders[topic].decode(record, emit: emit, reject: reject)
    }

    /// A decoder for the decode thread, with this rater's inputs, metrics and metadata plan and
    /// a symbol table of its own (AheadDecoder.swift).
    public func makeAheadDecoder() throws -> AheadDecoder {
        try AheadDecoder(settings: settings, catalog: catalog, topicIndex: topicIndex)
    }

    /// Hands in a batch the decode thread decoded: `fold` takes its records instead of decoding
    /// them, in the order they are folded (the batch before it must be folded). Before the
    /// closing clock exists, each record's latest event time is noted as `preview` notes it
    /// (StreamRater+PreClock.swift), for the whole batch before any of it folds.
    public func adopt(_ batch: DecodedBatch) {
        if needsPreview {
            for (pid, offset, latest) in batch.previews {
                if let next = offsets[pid], offset < next { continue }
                if let last = previewed[pid]?.last, last.offset >= offset { continue }  // offsets only grow
                previewed[pid, default: []].append((offset, latest))
            }
        }
        predecoded = batch.records
        remap.receive(batch.newSymbols)
    }
}
