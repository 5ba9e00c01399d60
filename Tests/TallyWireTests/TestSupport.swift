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
    var symbols: SymbolTable

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
        self.symbols = symbols
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

/// Everything observable about decoding `records` one after another with one decoder: a
/// line per sample (every field, strings as text), per rejection and per record error, in
/// order, and the symbol table's strings in id order (the table is persisted by id).
func observeDecoding(_ records: [[UInt8]], symbols: SymbolTable,
                     with decode: (UnsafeRawBufferPointer, (DecodedSample) -> Void,
                                   (SampleRejection) -> Void) throws(RecordDecodeError) -> Void)
    -> (lines: [String], symbols: [String]) {
    var lines: [String] = []
    for record in records {
        let outcome = decodeRecord(record, with: decode, symbols: symbols)
        for s in outcome.samples {
            lines.append("sample \(s.key) \(s.metric) \(s.counterType) \(s.unit) \(s.volume) \(s.timestamp.micros) "
                + "\(s.project) \(s.user) \(s.resource) " + s.metadata.map { "\($0.kind):\($0.text)" }.joined(separator: "|"))
        }
        lines += outcome.rejections.map { "rejected \($0)" } + (outcome.error.map { ["record \($0)"] } ?? [])
    }
    var table: [String] = []
    symbols.forEachSymbol(after: 0) { _, bytes in table.append(String(decoding: bytes, as: UTF8.self)) }
    return (lines, table)
}

func decodeCeilometer(_ text: String, plan: MetadataPlan = .empty, symbols: SymbolTable = SymbolTable()) -> Outcome {
    let decoder = CeilometerDecoder(symbols: symbols, plan: plan)
    return decodeRecord(Array(text.utf8), with: { (r, e, j) throws(RecordDecodeError) in
        try decoder.decode(r, emit: e, reject: j)
    }, symbols: symbols)
}

/// Test-side builders for Ceilometer records, written independently of the decoder.
enum Ceilometer {
    /// A sample's JSON text; `fields` replace or add top-level members (values as JSON text).
    static func sample(_ fields: [String: String] = [:], metadata: String = #"{"flavor_name": "m1.small"}"#) -> String {
        var members: [(String, String)] = [
            ("source", #""openstack""#), ("counter_name", #""cpu""#), ("counter_type", #""cumulative""#),
            ("counter_unit", #""ns""#), ("counter_volume", "1034595718072280"), ("user_id", #""u-1""#),
            ("user_name", #""alice""#), ("project_id", #""p-1""#), ("project_name", #""aurora-01""#),
            ("resource_id", #""63d36e83-0336-4b38-a93d-f42a954a1831""#),
            ("timestamp", #""2026-11-02T00:01:16.046321""#), ("resource_metadata", metadata),
            ("message_id", #""86153f6a-d650-11f1-b592-024018db16c3""#), ("monotonic_time", "null"),
            ("message_signature", #""00""#),
        ]
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            if let i = members.firstIndex(where: { $0.0 == key }) { members[i].1 = value } else { members.append((key, value)) }
        }
        return "{" + members.filter { $0.1 != "<omit>" }.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    /// The notification's JSON text around a payload (given as JSON text).
    static func notification(payload: String, eventType: String = "metering") -> String {
        #"{"message_id": "94614ad5-947d-4d5a-9169-7b762588ff5d", "publisher_id": "telemetry.publisher.ctl-01", "#
            + #""event_type": "\#(eventType)", "priority": "SAMPLE", "payload": \#(payload), "#
            + #""timestamp": "2026-11-02 03:42:05.047924", "_context": {}}"#
    }

    /// The oslo envelope around a notification's JSON text.
    static func envelope(_ message: String) -> String {
        var escaped = ""
        for scalar in message.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return #"{"oslo.version": "2.0", "oslo.message": "\#(escaped)"}"#
    }

    static func record(_ samples: [String]) -> String {
        envelope(notification(payload: "[" + samples.joined(separator: ", ") + "]"))
    }
}
