import TallyCore
import TallyWire

/// A batch of input records decoded off the engine's thread, for `StreamRater.adopt`.
public struct DecodedBatch {
    var records: PredecodedRecords
    var newSymbols: NewSymbols
    /// Each record's latest event time as the pre-clock preview notes it (known metrics,
    /// not in the future), in decoding order: what `preview` would have noted.
    var previews: [(partition: StreamRater.PartitionID, offset: Int64, latest: EventTime?)] = []
    /// Input records decoded (others in the polled batch are not the engine's: rule log, corrections).
    public var recordCount: Int { records.recordCount }
}

/// Decodes input records on a thread of its own (`tally run`'s decode thread): decoding is
/// pure given the metrics configuration (bytes in, samples and rejections out), the largest
/// phase of the engine, and shares nothing with folding but the symbol table. So it interns
/// into a table of its own and ships each batch's new strings with it; the engine interns
/// them as its records fold (`SymbolRemap`). Use one from one thread at a time; made by
/// `StreamRater.makeAheadDecoder()`.
public final class AheadDecoder {
    private let symbols = SymbolTable()
    private let decoders: [SampleDecoder]
    private let topicIndex: [String: UInt16]
    private var batch = PredecodedRecords()
    private var previews: [(partition: StreamRater.PartitionID, offset: Int64, latest: EventTime?)] = []
    /// How many of `symbols` earlier batches shipped.
    private var shipped = 0
    /// The configured metrics' names, and for each of this table's symbols met as a sample's
    /// metric whether it is one of them (0: not looked at yet, 1: configured, 2: not).
    private let metricNames: Set<String>
    private var configured: [UInt8] = []
    private let maxFutureSkew: TimeSpan

    init(settings: EngineSettings, catalog: MetricCatalog, topicIndex: [String: UInt16]) throws {
        let symbols = symbols
        decoders = try settings.inputs.map {
            // A signature check's MAC context of its own: the rater's decoders keep theirs.
            var options = $0.decoding
            options.signatures = try options.signatures?.independentCopy()
            return SampleDecoder(format: $0.format, symbols: symbols, plan: catalog.plan, options: options)
        }
        self.topicIndex = topicIndex
        metricNames = Set(catalog.metrics.map(\.definition.key))
        maxFutureSkew = catalog.maxFutureSkew
    }

    /// Decodes `record` into the batch being built if it is on an input topic, noting its
    /// latest event time as the preview does (`wallNow`: what is in the future).
    public func decode(_ record: InputRecord, wallNow: EventTime) {
        guard let topic = topicIndex[record.topic] else { return }
        let decoder = decoders[Int(topic)]
        let symbols = symbols
        let pid = StreamRater.PartitionID(topic: topic, partition: record.partition)
        var latest: EventTime?
        batch.keep(partition: pid, offset: record.offset, symbols: { symbols.count }) { queue in
            do throws(RecordDecodeError) {
                try decoder.decode(record, emit: { sample in
                    queue.append(sample)
                    guard isConfigured(sample.metric),
                          !PartitionClock.isFutureTimestamp(sample.timestamp, wallNow: wallNow, maxSkew: maxFutureSkew)
                    else { return }
                    if latest.map({ $0 < sample.timestamp }) ?? true { latest = sample.timestamp }
                }, reject: { queue.append($0) })
                return nil
            } catch {
                return error
            }
        }
        previews.append((pid, record.offset, latest))
    }

    private func isConfigured(_ metric: Symbol) -> Bool {
        let raw = Int(metric.raw)
        if raw >= configured.count { configured.append(contentsOf: repeatElement(0, count: raw + 1 - configured.count)) }
        if configured[raw] == 0 { configured[raw] = metricNames.contains(symbols.string(metric)) ? 1 : 2 }
        return configured[raw] == 1
    }

    /// The batch decoded since the last call, with the strings it introduced.
    public func finish() -> DecodedBatch {
        var new = NewSymbols(first: shipped + 1)
        symbols.forEachSymbol(after: shipped) { _, bytes in
            new.bytes.append(contentsOf: bytes)
            new.ends.append(new.bytes.count)
        }
        shipped = symbols.count
        defer { batch = PredecodedRecords(); previews = [] }
        return DecodedBatch(records: batch, newSymbols: new, previews: previews)
    }
}

extension SampleDecoder {
    /// Decodes one record in its topic's configured format, or, when the record carries a
    /// `tally-format` header (`tally route` sets it on what it routes), in the format the
    /// header names. A header naming no known format refuses the whole record (a dead
    /// letter saying so). The header is compared byte for byte: nothing is allocated.
    func decode(_ record: InputRecord, emit: (DecodedSample) -> Void, reject: (SampleRejection) -> Void) throws(RecordDecodeError) {
        guard let header = record.formatHeader else {
            _ = try decode(record.value, emit: emit, reject: reject)
            return
        }
        guard let format = InputFormat(header: header) else { throw InputFormat.unknownHeader(header) }
        _ = try decode(record.value, as: format, emit: emit, reject: reject)
    }
}
