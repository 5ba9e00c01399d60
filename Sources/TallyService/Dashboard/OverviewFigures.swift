import TallyAudit
import TallyCore
import TallyIndex

/// Every number of the overview page, computed once from the latest revisions of the period
/// (the index's rollups, or frames: compact summaries or decoded JSON; tests compare all three): cost per bucket and service, the price per resource, and the totals and
/// completeness line of `tally report` for the same frames (computed here in one pass, as
/// `UsageReport` does: per currency, exact, and complete through the end of the window that
/// starts last, the lowest frame id among equal starts).
struct OverviewFigures {
    struct ResourceTotal {
        var scope: String
        var currency: String
        var price = ExactSum()
        /// The frame the scope and currency were taken from: the earliest (window start,
        /// frame id), so the figures do not depend on the order the frames were read in.
        var firstStart: Int64
        var firstFrame: FrameIdKey
    }

    /// values[bucket][service]
    var chart: [String: [String: ExactSum]] = [:]
    var services: [String] = []
    var byResource: [String: ResourceTotal] = [:]
    /// Per currency, in currency order: the exact sum of every frame's price and the frame count.
    var totals: [(currency: String, price: ExactSum, frames: Int)] = []
    var completeness = ""

    /// `prefix`: how many characters of the window start's ISO 8601 text name its bucket
    /// (13 hour, 10 day, 7 month).
    init<Frame: RatedFrameFields>(frames: [Frame], period: QueryPeriod, project: String?, prefix: Int) {
        var last: LastWindow?
        var buckets = BucketNames(prefix: prefix)
        for frame in frames {
            let start = frame.windowStart.micros
            let frameId = frame.frameIdKey
            if last.map({ start > $0.start.micros || (start == $0.start.micros && frameId < $0.frameId) }) ?? true {
                last = LastWindow(start: frame.windowStart, frameId: frameId, end: frame.windowEnd)
            }
            add(bucket: buckets.name(frame.windowStart), service: frame.service, currency: frame.currency, price: frame.price, frames: 1)
            addResource(frame.resource, scope: frame.scope, currency: frame.currency, price: frame.price, first: (start, frameId))
        }
        finish(last: last, period: period)
    }

    /// The same figures from the index's rollups: chart and totals from the rollup cells,
    /// resources from the resource cells (and the frames of partial days), completeness from
    /// the window that starts last. Equal to the frames' figures (RollupTests).
    init(cells: [RollupCell], resources: [ResourceRollup], edgeFrames: [FrameSummary], last: LastWindow?, period: QueryPeriod,
         project: String?, prefix: Int) {
        var buckets = BucketNames(prefix: prefix)
        for cell in cells {
            add(bucket: buckets.name(cell.windowStart), service: cell.service, currency: cell.currency, price: cell.price, frames: cell.frames)
        }
        for cell in resources {
            addResource(cell.resource, scope: cell.scope, currency: cell.currency, price: cell.price,
                        first: (cell.firstStart.micros, cell.firstFrame))
        }
        for frame in edgeFrames {
            addResource(frame.resource, scope: frame.scope, currency: frame.currency, price: frame.price,
                        first: (frame.windowStart.micros, frame.frameIdKey))
        }
        finish(last: last, period: period)
    }

    private var serviceSet = Set<String>()
    private var perCurrency: [String: (price: ExactSum, frames: Int)] = [:]

    private mutating func add(bucket: String, service: String, currency: String, price: ExactDecimal, frames: Int) {
        perCurrency[currency, default: (ExactSum(), 0)].price.add(price)
        perCurrency[currency]!.frames += frames
        chart[bucket, default: [:]][service, default: ExactSum()].add(price)
        serviceSet.insert(service)
    }

    /// Adds to a resource's total; its scope and currency are the earliest frame's.
    private mutating func addResource(_ resource: String, scope: String, currency: String, price: ExactDecimal,
                                      first: (start: Int64, frameId: FrameIdKey)) {
        if var total = byResource[resource] {
            if first.start < total.firstStart || (first.start == total.firstStart && first.frameId < total.firstFrame) {
                total.scope = scope; total.currency = currency
                total.firstStart = first.start; total.firstFrame = first.frameId
            }
            total.price.add(price)
            byResource[resource] = total
        } else {
            var total = ResourceTotal(scope: scope, currency: currency, firstStart: first.start, firstFrame: first.frameId)
            total.price.add(price)
            byResource[resource] = total
        }
    }

    private mutating func finish(last: LastWindow?, period: QueryPeriod) {
        services = serviceSet.sorted()
        totals = perCurrency.sorted { $0.key < $1.key }.map { ($0.key, $0.value.price, $0.value.frames) }
        completeness = UsageReport.completeness(closedThrough: last?.end, from: period.begin, to: period.end)
    }

    var buckets: [String] { chart.keys.sorted() }

    /// The ten most expensive resources (ties by resource id).
    var topResources: [(resource: String, total: ResourceTotal)] {
        // Ranking only: the shown figures are the exact sums.
        let rank = byResource.mapValues { ExactDecimal($0.price.canonicalText) ?? .zero }
        return byResource.sorted { a, b in rank[a.key] == rank[b.key] ? a.key < b.key : rank[b.key]! < rank[a.key]! }
            .prefix(10).map { ($0.key, $0.value) }
    }
}

/// A bucket's name: the first `prefix` characters of its start's ISO 8601 text, made once
/// per distinct start.
private struct BucketNames {
    let prefix: Int
    var names: [Int64: String] = [:]

    mutating func name(_ start: EventTime) -> String {
        if let known = names[start.micros] { return known }
        let text = String(Timestamps.iso8601(start).prefix(prefix))
        names[start.micros] = text
        return text
    }
}
