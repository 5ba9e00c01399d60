import Foundation
import TallyCore
@testable import TallyWire

/// The fixture's record values, one per line (the newline is not part of a value).
enum Fixture {
    static let records: [[UInt8]] = {
        guard let url = Bundle.module.url(forResource: "sample-notifications", withExtension: "jsonl",
                                          subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url) else { fatalError("fixture sample-notifications.jsonl is missing") }
        return data.split(separator: UInt8(ascii: "\n")).map { Array($0) }
    }()
}

/// A decoded sample with its symbols and metadata turned into plain values, so tests
/// can keep it after the callback.
struct Decoded {
    var key: SampleKey
    var metric: String
    var counterType: CounterType
    var unit: String
    var volume: ExactDecimal
    var timestamp: EventTime
    var project: Symbol
    var user: Symbol
    var resource: String
    var metadata: [(kind: MetaKind, text: String)]

    init(_ sample: DecodedSample, _ symbols: SymbolTable) {
        key = sample.key
        metric = symbols.string(sample.metric)
        counterType = sample.counterType
        unit = symbols.string(sample.unit)
        volume = sample.volume
        timestamp = sample.timestamp
        project = sample.project
        user = sample.user
        resource = symbols.string(sample.resource)
        metadata = sample.metadata.map { ($0.kind, symbols.string($0.text)) }
    }
}

/// What one record decoded to: samples and rejections, or the record's error.
struct Outcome {
    var samples: [Decoded] = []
    var rejections: [SampleRejection] = []
    var error: RecordDecodeError?
}

func decodeRecord(_ bytes: [UInt8], with decode: (UnsafeRawBufferPointer, (DecodedSample) -> Void,
                                                   (SampleRejection) -> Void) throws(RecordDecodeError) -> Void,
                  symbols: SymbolTable) -> Outcome {
    var outcome = Outcome()
    bytes.withUnsafeBytes { raw in
        do throws(RecordDecodeError) {
            try decode(raw, { outcome.samples.append(Decoded($0, symbols)) }, { outcome.rejections.append($0) })
        } catch {
            outcome.error = error
        }
    }
    return outcome
}

func decodeCeilometer(_ text: String, plan: MetadataPlan = .empty, symbols: SymbolTable = SymbolTable()) -> Outcome {
    let decoder = CeilometerDecoder(symbols: symbols, plan: plan)
    return decodeRecord(Array(text.utf8), with: { (r, e, j) throws(RecordDecodeError) in
        try decoder.decode(r, emit: e, reject: j)
    }, symbols: symbols)
}
