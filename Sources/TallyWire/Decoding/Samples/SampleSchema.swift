import TallyCore

/// The field names of one sample format and which of them are required. Ceilometer
/// samples, native samples and CloudEvents data carry the same information under
/// different names; one reader (`DecoderState.readSample`) serves all three.
final class SampleSchema: @unchecked Sendable {  // immutable after init
    enum Field: Int, CaseIterable {
        case id, metric, counterType, unit, volume, timestamp, project, user, resource, metadata
    }

    /// Field names indexed by `Field.rawValue`.
    let names: [String]
    let required: UInt32
    private let table: ByteKeyTable
    let fields: ByteKeyIndex
    /// How a sample is named in details: `payload[3]`, `sample`, `data`.
    let label: (Int) -> String
    /// Which of a decoder's `MemberShapes` its objects follow (0..<`MemberShapes.kinds`).
    let shapeKind: Int

    init(names: [Field: String], required: [Field], shapeKind: Int, label: @escaping @Sendable (Int) -> String) {
        self.shapeKind = shapeKind
        self.names = Field.allCases.map { names[$0]! }
        self.required = required.reduce(0) { $0 | 1 << UInt32($1.rawValue) }
        table = ByteKeyTable(self.names)
        fields = table.index
        self.label = label
    }

    func name(_ field: Field) -> String { names[field.rawValue] }

    /// Ceilometer's sample dict (`ceilometer.publisher.utils.meter_message_from_counter`).
    static let ceilometer = SampleSchema(
        names: [.id: "message_id", .metric: "counter_name", .counterType: "counter_type", .unit: "counter_unit",
                .volume: "counter_volume", .timestamp: "timestamp", .project: "project_id", .user: "user_id",
                .resource: "resource_id", .metadata: "resource_metadata"],
        required: [.id, .metric, .counterType, .unit, .volume, .timestamp, .resource], shapeKind: 0,
        label: { "payload[\($0)]" })

    /// `schemas/sample.schema.json`.
    static let native = SampleSchema(
        names: [.id: "id", .metric: "metric", .counterType: "type", .unit: "unit", .volume: "volume",
                .timestamp: "timestamp", .project: "project_id", .user: "user_id", .resource: "resource_id",
                .metadata: "metadata"],
        required: [.id, .metric, .counterType, .unit, .volume, .timestamp, .project, .resource], shapeKind: 1,
        label: { _ in "sample" })

    /// A CloudEvent's `data`: a native sample whose identity comes from the event's
    /// `source` and `id`, and whose timestamp defaults to the event's `time`.
    static let cloudEventData = SampleSchema(
        names: [.id: "id", .metric: "metric", .counterType: "type", .unit: "unit", .volume: "volume",
                .timestamp: "timestamp", .project: "project_id", .user: "user_id", .resource: "resource_id",
                .metadata: "metadata"],
        required: [.metric, .counterType, .unit, .volume, .project, .resource], shapeKind: 2,
        label: { _ in "data" })
}

/// A sample while it is being read: the fields found so far and the first problem.
struct SampleDraft {
    var seen: UInt32 = 0
    var key = SampleKey(high: 0, low: 0)
    var metric = Symbol.none
    var counterType = CounterType.gauge
    var unit = Symbol.none
    var volume = ExactDecimal.zero
    var timestamp = EventTime(micros: 0)
    var project = Symbol.none
    var user = Symbol.none
    var resource = Symbol.none
    var problem: DeadLetterReason?
    var problemDetail = ""

    func has(_ field: SampleSchema.Field) -> Bool { seen & 1 << UInt32(field.rawValue) != 0 }

    /// Records a problem unless an earlier one is already recorded.
    mutating func fail(_ reason: DeadLetterReason, _ detail: @autoclosure () -> String) {
        guard problem == nil else { return }
        problem = reason
        problemDetail = detail()
    }

    /// Records a problem that outranks any found so far (a bad signature).
    mutating func override(_ reason: DeadLetterReason, _ detail: String) {
        problem = reason
        problemDetail = detail
    }

    func sample() -> DecodedSample {
        DecodedSample(key: key, metric: metric, counterType: counterType, unit: unit, volume: volume,
                      timestamp: timestamp, project: project, user: user, resource: resource,
                      metadata: UnsafeBufferPointer(start: nil, count: 0))
    }
}
