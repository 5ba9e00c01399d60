import TallyCore
import TallyWire

extension StreamRater {
    /// Decodes one record in its topic's configured format, or, when the record carries a
    /// `tally-format` header (`tally route` sets it on what it routes), in the format the
    /// header names. A header naming no known format refuses the whole record (a dead
    /// letter saying so). The header is compared byte for byte: nothing is allocated.
    func decode(_ record: InputRecord, topic: Int, emit: (DecodedSample) -> Void,
                reject: (SampleRejection) -> Void) throws(RecordDecodeError) {
        guard let header = record.formatHeader else {
            _ = try decoders[topic].decode(record.value, emit: emit, reject: reject)
            return
        }
        guard let format = InputFormat(header: header) else { throw InputFormat.unknownHeader(header) }
        _ = try decoders[topic].decode(record.value, as: format, emit: emit, reject: reject)
    }
}
