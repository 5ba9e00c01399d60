import TallyCore
import TallyWire

/// Finds a record's routing key — project, resource and metric of its first good sample —
/// with the rater's own decoders, so a record the rater would refuse whole is refused here
/// too. After the first sight of a (project, resource, metric) the key is a dictionary hit:
/// no allocation per sample or per record.
///
/// The key bytes are `project 0x1F resource 0x1F metric` (0x1F: ASCII unit separator). The
/// key only chooses a partition, so two triples that happened to give the same bytes would
/// merely share one; nothing is decided by parsing it back.
final class RouteKeyFinder {
    enum Outcome {
        case key([UInt8])
        /// No sample to key by: the record-wide error, or every sample's rejection.
        case refused(RecordDecodeError?, [SampleRejection])
    }

    private struct Triple: Hashable {
        var project: Symbol, resource: Symbol, metric: Symbol
    }

    /// Distinct strings kept before the decoders start afresh (resource ids churn forever).
    static let symbolLimit = 1_000_000

    private let inputs: [(format: InputFormat, options: DecoderOptions)]
    private var symbols = SymbolTable()
    private var decoders: [SampleDecoder] = []
    private var keys: [Triple: [UInt8]] = [:]

    init(inputs: [(format: InputFormat, options: DecoderOptions)]) {
        self.inputs = inputs
        startAfresh()
    }

    private func startAfresh() {
        symbols = SymbolTable()
        decoders = inputs.map { SampleDecoder(format: $0.format, symbols: symbols, options: $0.options) }
        keys.removeAll(keepingCapacity: true)
    }

    /// The key of a record of input `input` (an index into the inputs given to `init`).
    func find(input: Int, value: UnsafeRawBufferPointer) -> Outcome {
        if symbols.count > Self.symbolLimit { startAfresh() }
        var first: Triple?
        var rejections: [SampleRejection] = []
        do {
            try decoders[input].decode(value, emit: { sample in
                if first == nil { first = Triple(project: sample.project, resource: sample.resource, metric: sample.metric) }
            }, reject: { rejections.append($0) })
        } catch {
            return .refused(error, [])
        }
        guard let first else { return .refused(nil, rejections) }
        if let key = keys[first] { return .key(key) }
        var key: [UInt8] = []
        symbols.withBytes(first.project) { key.append(contentsOf: $0) }
        key.append(0x1F)
        symbols.withBytes(first.resource) { key.append(contentsOf: $0) }
        key.append(0x1F)
        symbols.withBytes(first.metric) { key.append(contentsOf: $0) }
        keys[first] = key
        return .key(key)
    }
}
