import TallyAudit
import TallyCore
import TallyIndex

/// Every number of the overview page, computed once from the latest revisions of the period
/// (the index's compact summaries; a test feeds decoded frames through the same code and
/// compares): cost per bucket and service, the price per resource, and the totals and
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
    var completeness: String

    /// `prefix`: how many characters of the window start's ISO 8601 text name its bucket
    /// (13 hour, 10 day, 7 month).
    init<Frame: RatedFrameFields>(frames: [Frame], period: QueryPeriod, project: String?, prefix: Int) {
        var serviceSet = Set<String>()
        var perCurrency: [String: (price: ExactSum, frames: Int)] = [:]
        var last: (start: Int64, frameId: FrameIdKey, end: EventTime)?
        // Buckets by window start; one text per distinct start, not per frame.
        var bucketOf: [Int64: String] = [:]
        for frame in frames {
            let start = frame.windowStart.micros
            let key = bucketOf[start] ?? {
                let text = String(Timestamps.iso8601(frame.windowStart).prefix(prefix))
                bucketOf[start] = text
                return text
            }()
            let service = frame.service
            let frameId = frame.frameIdKey
            if last.map({ start > $0.start || (start == $0.start && frameId < $0.frameId) }) ?? true {
                last = (start, frameId, frame.windowEnd)
            }
            perCurrency[frame.currency, default: (ExactSum(), 0)].price.add(frame.price)
            perCurrency[frame.currency]!.frames += 1
            chart[key, default: [:]][service, default: ExactSum()].add(frame.price)
            serviceSet.insert(service)
            let resource = frame.resource
            if var total = byResource[resource] {
                if start < total.firstStart || (start == total.firstStart && frameId < total.firstFrame) {
                    total.scope = frame.scope; total.currency = frame.currency
                    total.firstStart = start; total.firstFrame = frameId
                }
                total.price.add(frame.price)
                byResource[resource] = total
            } else {
                var total = ResourceTotal(scope: frame.scope, currency: frame.currency, firstStart: start, firstFrame: frameId)
                total.price.add(frame.price)
                byResource[resource] = total
            }
        }
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
