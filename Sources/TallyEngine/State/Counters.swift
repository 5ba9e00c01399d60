/// What happened to every consumed record and sample. Persisted with each batch,
/// so the totals survive restarts and `recordsIn == folded + duplicates + deadLettered
/// + unknownMeter` holds at every commit (likewise for samples).
public struct Counters: Equatable, Sendable {
    /// Records: each ends folded (at least one sample folded, none dead-lettered),
    /// duplicate (every sample a duplicate), dead-lettered (the record or one
    /// of its samples was rejected; the good samples beside it are still folded), or
    /// unknown-meter (nothing folded or dead-lettered, and at least one sample of an
    /// unconfigured meter that the input's `unknown_meters` policy counts or ignores).
    public var recordsIn: UInt64 = 0
    public var recordsFolded: UInt64 = 0
    public var recordsDuplicate: UInt64 = 0
    public var recordsDeadLettered: UInt64 = 0
    /// Samples: each is folded, a duplicate or dead-lettered.
    public var samplesIn: UInt64 = 0
    public var samplesFolded: UInt64 = 0
    public var samplesDuplicate: UInt64 = 0
    public var samplesDeadLettered: UInt64 = 0
    /// Samples of unconfigured meters not dead-lettered (`unknown_meters: count|ignore`).
    public var samplesUnknownMeter: UInt64 = 0
    public var recordsUnknownMeter: UInt64 = 0
    /// Under `unknown_meters: count`: samples per unconfigured meter name.
    public var unknownMeters: [String: UInt64] = [:]
    /// Late samples folded into a closed window (which then gets a new revision).
    public var samplesLate: UInt64 = 0
    /// Samples dead-lettered because their window was past retention.
    public var samplesTooLate: UInt64 = 0
    public var framesEmitted: UInt64 = 0
    public var framesRevised: UInt64 = 0
    public var windowsRatingFailed: UInt64 = 0
    public var deadLettersByReason: [String: UInt64] = [:]

    public init() {}

    static let fields: [(String, WritableKeyPath<Counters, UInt64>)] = [
        ("records_in", \.recordsIn), ("records_folded", \.recordsFolded),
        ("records_duplicate", \.recordsDuplicate), ("records_dead_lettered", \.recordsDeadLettered),
        ("samples_in", \.samplesIn), ("samples_folded", \.samplesFolded),
        ("samples_duplicate", \.samplesDuplicate), ("samples_dead_lettered", \.samplesDeadLettered),
        ("samples_late", \.samplesLate), ("samples_too_late", \.samplesTooLate),
        ("frames_emitted", \.framesEmitted), ("frames_revised", \.framesRevised),
        ("windows_rating_failed", \.windowsRatingFailed),
    ]
    /// Added after the first release: encoded after the reasons, absent in older state.
    static let laterFields: [(String, WritableKeyPath<Counters, UInt64>)] = [
        ("records_unknown_meter", \.recordsUnknownMeter), ("samples_unknown_meter", \.samplesUnknownMeter),
    ]

    /// Name/value pairs in a fixed order, reasons last (`dead_letter_reason{…}`).
    public var rows: [(String, UInt64)] {
        (Counters.fields + Counters.laterFields).map { ($0.0, self[keyPath: $0.1]) }
            + deadLettersByReason.sorted { $0.key < $1.key }.map { ("dead_letters{reason=\"\($0.key)\"}", $0.value) }
            + unknownMeters.sorted { $0.key < $1.key }.map { ("unknown_meters{metric=\"\($0.key)\"}", $0.value) }
    }

    func encoded() -> [UInt8] {
        var w = ByteWriter()
        for (_, path) in Counters.fields { w.u64(self[keyPath: path]) }
        w.u32(UInt32(deadLettersByReason.count))
        for (reason, n) in deadLettersByReason.sorted(by: { $0.key < $1.key }) { w.string(reason); w.u64(n) }
        for (_, path) in Counters.laterFields { w.u64(self[keyPath: path]) }
        w.u32(UInt32(unknownMeters.count))
        for (metric, n) in unknownMeters.sorted(by: { $0.key < $1.key }) { w.string(metric); w.u64(n) }
        return w.bytes
    }

    init(decoding bytes: UnsafeRawBufferPointer) throws {
        var r = ByteReader(bytes, what: "counters")
        for (_, path) in Counters.fields { self[keyPath: path] = try r.u64() }
        for _ in 0..<(try r.u32()) { deadLettersByReason[try r.string()] = try r.u64() }
        guard !r.isAtEnd else { return }  // state written before the unknown-meter counters
        for (_, path) in Counters.laterFields { self[keyPath: path] = try r.u64() }
        for _ in 0..<(try r.u32()) { unknownMeters[try r.string()] = try r.u64() }
    }
}
