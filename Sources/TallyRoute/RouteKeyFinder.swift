import TallyCore
import TallyWire

/// Finds a record's routing keys — project, resource and metric of each good sample —
/// with the rater's own decoders, so a record the rater would refuse whole is refused here
/// too. After the first sight of a (project, resource, metric) its key is a dictionary
/// hit, and a record whose samples share one key (every native or CloudEvents record, and
/// most Ceilometer ones) costs no allocation.
///
/// The key bytes are `project 0x1F resource 0x1F metric` (0x1F: ASCII unit separator), or
/// for a metric with `route_key: project` (`user`) `project 0x1F 0x1F metric`
/// (`user 0x1F 0x1F metric`): all of a scope's samples of that metric on one partition.
/// The key only chooses a partition, so two triples that happened to give the same bytes
/// would merely share one; nothing is decided by parsing it back.
final class RouteKeyFinder {
    enum Outcome {
        /// Every good sample has this key: the record goes whole.
        case key([UInt8])
        /// The good samples have several keys (a Ceilometer notification of several
        /// resources): `groups[i]` lists the payload indices that go under `keys[i]`, in
        /// payload order. A refused sample goes with the first group, so the rater
        /// dead-letters it as it would have in the whole record.
        case split(keys: [[UInt8]], groups: [[Int]], sampleCount: Int)
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
    /// Each good sample's key, in emit order (payload order), reused for every record.
    private var sampleKeys: [Triple] = []
    private var rejections: [SampleRejection] = []

    /// The metrics not keyed by resource, by name (the metrics file's `route_key`).
    private let routeKeys: [String: RouteKey]
    /// The same by metric symbol, interned afresh with the symbol table.
    private var routeKeyOf: [Symbol: RouteKey] = [:]

    init(inputs: [(format: InputFormat, options: DecoderOptions)], routeKeys: [String: RouteKey] = [:]) {
        self.inputs = inputs
        self.routeKeys = routeKeys.filter { $0.value != .resource }
        startAfresh()
    }

    private func startAfresh() {
        symbols = SymbolTable()
        decoders = inputs.map { SampleDecoder(format: $0.format, symbols: symbols, options: $0.options) }
        keys.removeAll(keepingCapacity: true)
        routeKeyOf = Dictionary(uniqueKeysWithValues: routeKeys.map { (symbols.intern($0.key), $0.value) })
    }

    /// A sample's key: its project, resource and metric, with the resource left out (and
    /// the project replaced by the user) for a metric keyed by its scope.
    @inline(__always)
    private func triple(_ sample: DecodedSample) -> Triple {
        guard !routeKeyOf.isEmpty, let routeKey = routeKeyOf[sample.metric] else {
            return Triple(project: sample.project, resource: sample.resource, metric: sample.metric)
        }
        switch routeKey {
        case .resource: return Triple(project: sample.project, resource: sample.resource, metric: sample.metric)
        case .project: return Triple(project: sample.project, resource: .none, metric: sample.metric)
        case .user: return Triple(project: sample.user, resource: .none, metric: sample.metric)
        }
    }

    /// The key(s) of a record of input `input` (an index into the inputs given to `init`).
    func find(input: Int, value: UnsafeRawBufferPointer) -> Outcome {
        if symbols.count > Self.symbolLimit { startAfresh() }
        sampleKeys.removeAll(keepingCapacity: true)
        rejections.removeAll(keepingCapacity: true)
        do {
            try decoders[input].decode(value, emit: { sample in
                sampleKeys.append(triple(sample))
            }, reject: { rejections.append($0) })
        } catch {
            return .refused(error, [])
        }
        guard let first = sampleKeys.first else { return .refused(nil, rejections) }
        if sampleKeys.allSatisfy({ $0 == first }) { return .key(key(of: first)) }
        return grouped(first: first)
    }

    /// Groups the payload's indices by key. Good samples are emitted in payload order and
    /// rejections carry their index, so the i-th good sample is at the i-th index no
    /// rejection names.
    private func grouped(first: Triple) -> Outcome {
        let count = sampleKeys.count + rejections.count
        var rejected = Set(rejections.map(\.sampleIndex))
        var groupOf: [Triple: Int] = [:]
        var groups: [[Int]] = []
        var groupKeys: [[UInt8]] = []
        var index = 0
        for triple in sampleKeys {
            while rejected.contains(index) { index += 1 }
            if let g = groupOf[triple] {
                groups[g].append(index)
            } else {
                groupOf[triple] = groups.count
                groups.append([index])
                groupKeys.append(key(of: triple))
            }
            index += 1
        }
        rejected = rejected.filter { $0 >= 0 && $0 < count }
        if !rejected.isEmpty { groups[0] = (groups[0] + rejected).sorted() }
        return .split(keys: groupKeys, groups: groups, sampleCount: count)
    }

    private func key(of triple: Triple) -> [UInt8] {
        if let key = keys[triple] { return key }
        var key: [UInt8] = []
        if !triple.project.isNone { symbols.withBytes(triple.project) { key.append(contentsOf: $0) } }
        key.append(0x1F)
        if !triple.resource.isNone { symbols.withBytes(triple.resource) { key.append(contentsOf: $0) } }
        key.append(0x1F)
        symbols.withBytes(triple.metric) { key.append(contentsOf: $0) }
        keys[triple] = key
        return key
    }
}
