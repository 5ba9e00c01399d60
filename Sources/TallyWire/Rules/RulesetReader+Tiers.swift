import TallyCore
import Yams

extension RulesetReader {
    mutating func readTier(_ cursor: YAMLCursor) throws -> TierRule {
        var service: String?, mode: TierSchedule.Mode?, cycle = BillingCycle.calendarMonth()
        var tiers: [TierSchedule.Tier] = []
        var packageSize = ExactDecimal.one, packagePrice = ExactDecimal.zero
        var free = ExactDecimal.zero, minimum = ExactDecimal.zero
        let keys: Set<String> = ["service", "mode", "cycle", "tiers", "package", "free", "minimum"]
        let common = try readCommon(cursor, keys: keys) { key, v in
            switch key {
            case "service": service = try v.string()
            case "mode": mode = try v.choice(TierSchedule.Mode.self)
            case "cycle": cycle = try Self.readCycle(v)
            case "tiers": tiers = try v.sequence().map(Self.readBand)
            case "package":
                for (k, f) in try v.mapping(allowed: ["size", "price"]) {
                    if k == "size" { packageSize = try f.decimal() } else { packagePrice = try f.decimal() }
                }
            case "free": free = try v.decimal()
            default: minimum = try v.decimal()
            }
        }
        let schedule = TierSchedule(mode: try required(mode, "mode", cursor), tiers: tiers, packageSize: packageSize,
                                    packagePrice: packagePrice, freeAllowance: free, minimumCharge: minimum)
        return TierRule(id: common.id, service: try required(service, "service", cursor), schedule: schedule,
                        cycle: cycle, tenant: common.tenant, validity: common.validity)
    }

    static func readBand(_ cursor: YAMLCursor) throws -> TierSchedule.Tier {
        var upTo: ExactDecimal?, unitPrice: ExactDecimal?, flatFee = ExactDecimal.zero
        for (key, value) in try cursor.mapping(allowed: ["up_to", "unit_price", "flat_fee"]) {
            switch key {
            case "up_to": upTo = value.isNull ? nil : try value.decimal()
            case "unit_price": unitPrice = try value.decimal()
            default: flatFee = try value.decimal()
            }
        }
        guard let unitPrice else { throw cursor.error("missing 'unit_price'") }
        return TierSchedule.Tier(upTo: upTo, unitPrice: unitPrice, flatFee: flatFee)
    }

    /// `month` (UTC), or `{every: month, utc_offset: "+02:00"}`, or
    /// `{every_seconds: 604800, anchor: 2025-01-06}`.
    static func readCycle(_ cursor: YAMLCursor) throws -> BillingCycle {
        if let text = cursor.node.scalar?.string {
            guard text == "month" else { throw cursor.error("a cycle is 'month' or a mapping") }
            return .calendarMonth()
        }
        var every: String?, offset = 0, seconds: Int64?, anchor = EventTime(micros: 0)
        for (key, value) in try cursor.mapping(allowed: ["every", "utc_offset", "every_seconds", "anchor"]) {
            switch key {
            case "every": every = try value.string()
            case "utc_offset": offset = try readOffset(value)
            case "every_seconds": seconds = Int64(try value.integer())
            default: anchor = try value.time()
            }
        }
        if let seconds {
            guard every == nil else { throw cursor.error("give either 'every: month' or 'every_seconds', not both") }
            return .fixed(seconds: seconds, anchor: anchor)
        }
        guard every == "month" else { throw cursor.error("'every' must be 'month' (or use 'every_seconds')") }
        return .calendarMonth(utcOffsetSeconds: offset)
    }

    static func readOffset(_ cursor: YAMLCursor) throws -> Int {
        let text = try cursor.string()
        let b = Array(text.utf8)
        guard b.count == 6, b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-"), b[3] == UInt8(ascii: ":"),
              let h = Int(String(decoding: b[1...2], as: UTF8.self)), let m = Int(String(decoding: b[4...5], as: UTF8.self)),
              h <= 14, m < 60 else { throw cursor.error("'\(text)' is not a UTC offset like +02:00") }
        let seconds = h * 3600 + m * 60
        return b[0] == UInt8(ascii: "-") ? -seconds : seconds
    }
}
