import TallyCore

/// Decodes one native sample per record (`schemas/sample.schema.json`), the format of
/// the `tally.samples` topic. A content problem (missing or mistyped field, bad
/// timestamp or volume) is a rejection of sample 0; JSON that is not JSON throws.
public final class NativeSampleDecoder {
    let state: DecoderState

    public convenience init(symbols: SymbolTable, plan: MetadataPlan = .empty) {
        self.init(state: DecoderState(symbols: symbols, plan: plan))
    }

    init(state: DecoderState) { self.state = state }

    /// Decodes one record value; see `CeilometerDecoder.decode` for the callbacks.
    @discardableResult
    public func decode(_ record: UnsafeRawBufferPointer, emit: (DecodedSample) -> Void,
                       reject: (SampleRejection) -> Void) throws(RecordDecodeError) -> RecordDecodeCounts {
        var scanner = JSONScanner(record, keys: state.duplicateKeys)
        guard !scanner.isAtEnd else { throw RecordDecodeError(reason: .malformedJSON, detail: "the record is empty") }
        state.duplicateKeys.reset()
        do throws(JSONSyntaxError) {
            let slots = state.beginSample()
            let draft = try state.readSample(&scanner, RawJSONText.self, schema: .native, index: 0, slots: slots)
            try scanner.expectEnd()
            if let reason = draft.problem {
                state.stage(SampleRejection(reason: reason, sampleIndex: 0, detail: draft.problemDetail))
            } else {
                state.stage(draft.sample())
            }
        } catch {
            state.discard()
            throw .malformed(error, in: "record")
        }
        return state.flush(emit: emit, reject: reject)
    }
}
