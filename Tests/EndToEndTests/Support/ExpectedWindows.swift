import Foundation
import TallyCore
import TallyDemo

/// The windows a correct rater must produce from simulated samples, computed
/// here independently of the engine (Foundation's Decimal, plain dictionaries):
/// hourly windows, `max` for gauges, counter increase with resets for
/// cumulative meters (seeded by the previous hour's last point).
struct ExpectedWindows {
    struct Key: Hashable, CustomStringConvertible {
        var metric: String
        var resource: String
        var hour: Int64
        var flavor: String?
        var description: String { "\(metric) \(resource) hour \(hour) \(flavor ?? "")" }
    }

    var quantities: [Key: Decimal] = [:]
    var prices: [Key: Decimal] = [:]

    static let flavorPrice: [String: Decimal] = ["m1.small": Decimal(string: "0.025")!, "m1.medium": Decimal(string: "0.05")!,
                                                 "m1.large": Decimal(string: "0.1")!]
    static let volumePrice: [String: Decimal] = ["SSD_gold": Decimal(string: "0.0004")!, "SSD_silver": Decimal(string: "0.0003")!,
                                                 "HDD_bronze": Decimal(string: "0.0001")!]

    init(_ samples: [UsageSimulator.Sample]) {
        let hourMicros: Int64 = 3_600_000_000
        func text(_ s: UsageSimulator.Sample, _ key: String) -> String? {
            s.metadata.first { $0.0 == key }.map { $0.1.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        var series: [String: [(Int64, Decimal)]] = [:]
        for s in samples {
            let value = Decimal(string: s.volume)!
            let hour = s.timestamp.micros / hourMicros
            switch s.metric {
            case "instance", "vcpus", "volume.size":
                let flavor = s.metric == "instance" ? text(s, "instance_type") : nil
                let key = Key(metric: s.metric, resource: s.resource, hour: hour, flavor: flavor)
                quantities[key] = max(quantities[key] ?? value, value)
                if s.metric == "instance", let f = flavor { prices[key] = ExpectedWindows.flavorPrice[f]! }
                if s.metric == "volume.size", let t = text(s, "volume_type") { prices[key] = ExpectedWindows.volumePrice[t]! * quantities[key]! }
            default:
                series[s.metric + "|" + s.resource, default: []].append((s.timestamp.micros, value))
            }
        }
        for (name, points) in series {
            let parts = name.split(separator: "|", maxSplits: 1).map(String.init)
            let sorted = points.sorted { $0.0 < $1.0 }
            var lastByHour: [Int64: Decimal] = [:]
            var byHour: [Int64: [Decimal]] = [:]
            for (t, v) in sorted { byHour[t / hourMicros, default: []].append(v); lastByHour[t / hourMicros] = v }
            for (hour, values) in byHour {
                var before = lastByHour[hour - 1]
                var total = Decimal(0)
                for v in values {
                    if let b = before { total += v < b ? v : v - b }
                    before = v
                }
                quantities[Key(metric: parts[0], resource: parts[1], hour: hour, flavor: nil)] = total
            }
        }
    }
}
