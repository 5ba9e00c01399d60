import TallyCore
import TallyWire

/// The metrics of the configuration compiled for the hot path: a metric is found
/// from its interned name with one array read, and each groupby or metadata field
/// knows where its value comes from in a `DecodedSample`.
public final class MetricCatalog {
    /// Where one field's value comes from, in the order its sources are tried.
    enum ValueSource: Equatable {
        case resource, project, user
        case slot(Int)
    }

    struct Field {
        var name: String
        var sources: [ValueSource]
    }

    /// A class, built once and never changed: the fold reads one per sample, and copying a
    /// struct of a definition, three arrays and two layouts cost a retain and a release of
    /// each (~2% of the engine's fold in `perf`); a reference costs one.
    final class Compiled {
        let definition: MetricDefinition
        let name: Symbol
        let groupby: [Field]
        let metadata: [Field]
        /// groupby fields other than id/project_id/user_id: they split windows.
        let extraGroupby: [Int]
        /// The frame's `groupby` (the extra fields, reading `WindowState.groupValues`) and
        /// `metadata` objects, keys sorted and encoded once rather than per frame.
        let groupbyLayout: FrameObjectLayout
        let metadataLayout: FrameObjectLayout

        init(definition: MetricDefinition, name: Symbol, groupby: [Field], metadata: [Field], extraGroupby: [Int],
             groupbyLayout: FrameObjectLayout, metadataLayout: FrameObjectLayout) {
            self.definition = definition; self.name = name; self.groupby = groupby; self.metadata = metadata
            self.extraGroupby = extraGroupby; self.groupbyLayout = groupbyLayout; self.metadataLayout = metadataLayout
        }
    }

    let config: MetricsConfig
    let metrics: [Compiled]
    public let plan: MetadataPlan
    private let symbols: SymbolTable
    /// Indexed by symbol raw value: metric index + 1, 0 for any other symbol. Built once: the
    /// metrics' names are interned here, so a symbol interned later never names a metric. (Filled
    /// in as symbols were looked up, it was a stored `var` of a class, and each sample's lookup
    /// paid a dynamic exclusivity check, ~90 instructions.)
    private let indexBySymbol: [Int32]

    public var definitions: [MetricDefinition] { config.metrics }
    public var timeZone: ZoneRules { config.timeZone }
    // Copied out of `config` once: read per sample, a computed property copied the
    // whole configuration (a retain and a release of its metrics array) each time.
    public let idleTimeout: TimeSpan
    public let maxFutureSkew: TimeSpan
    public let earliestEventTime: EventTime?

    public init(config: MetricsConfig, symbols: SymbolTable) throws {
        self.config = config
        idleTimeout = config.idleTimeout
        maxFutureSkew = config.maxFutureSkew
        earliestEventTime = config.earliestEventTime
        self.symbols = symbols
        var specs: [MetadataKeySpec] = []
        var slotByName: [String: Int] = [:]
        func compile(_ spec: FieldSpec) -> Field {
            var sources: [ValueSource] = []
            var paths: [String] = []
            for source in spec.sources {
                switch source {
                case .resourceId: sources.append(.resource)
                case .projectId: sources.append(.project)
                case .userId: sources.append(.user)
                case .metadata(let parts): paths.append(parts.joined(separator: "."))
                }
            }
            if !paths.isEmpty {
                // One plan key per distinct list of paths, shared by every metric using it.
                let planName = paths.joined(separator: "|")
                let slot = slotByName[planName] ?? {
                    specs.append(MetadataKeySpec(planName, alternatives: paths))
                    slotByName[planName] = specs.count - 1
                    return specs.count - 1
                }()
                // Keep the configured order: metadata paths where they were listed.
                var ordered: [ValueSource] = []
                var inserted = false
                for source in spec.sources {
                    switch source {
                    case .resourceId: ordered.append(.resource)
                    case .projectId: ordered.append(.project)
                    case .userId: ordered.append(.user)
                    case .metadata: if !inserted { ordered.append(.slot(slot)); inserted = true }
                    }
                }
                sources = ordered
            }
            return Field(name: spec.name, sources: sources)
        }
        var compiled: [Compiled] = []
        for definition in config.metrics {
            let groupby = definition.groupby.map(compile)
            let extra = groupby.indices.filter { i in
                !(groupby[i].sources.count == 1 && [.resource, .project, .user].contains(groupby[i].sources[0]))
            }
            let metadata = definition.metadata.map(compile)
            compiled.append(Compiled(definition: definition, name: symbols.intern(definition.key),
                                     groupby: groupby, metadata: metadata, extraGroupby: extra,
                                     groupbyLayout: FrameObjectLayout(names: extra.map { groupby[$0].name }, slots: extra),
                                     metadataLayout: FrameObjectLayout(names: metadata.map(\.name), slots: Array(metadata.indices))))
        }
        metrics = compiled
        var index = [Int32](repeating: 0, count: Int(compiled.map(\.name.raw).max() ?? 0) + 1)
        for (i, metric) in compiled.enumerated() where index[Int(metric.name.raw)] == 0 {
            index[Int(metric.name.raw)] = Int32(i + 1)  // the first metric of a name, as before
        }
        indexBySymbol = index
        plan = try MetadataPlan(keys: specs)
    }

    /// The index of the metric named by `symbol`, or nil when it is not configured.
    @inline(__always)
    func index(of symbol: Symbol) -> Int? {
        let raw = Int(symbol.raw)
        guard raw < indexBySymbol.count else { return nil }
        let v = indexBySymbol[raw]
        return v > 0 ? Int(v - 1) : nil
    }

    /// The value of `field` in `sample`: the first source present.
    @inline(__always)
    static func value(of field: Field, in sample: DecodedSample) -> MetaValue {
        for source in field.sources {
            switch source {
            case .resource: if !sample.resource.isNone { return MetaValue(kind: .string, text: sample.resource) }
            case .project: if !sample.project.isNone { return MetaValue(kind: .string, text: sample.project) }
            case .user: if !sample.user.isNone { return MetaValue(kind: .string, text: sample.user) }
            case .slot(let i): if sample.metadata[i].kind != .absent { return sample.metadata[i] }
            }
        }
        return .absent
    }
}
