import TallyCore

extension RuleEventCodec {
    /// An item's members (the inverse of `RuleItem.canonicalMembers` in TallyCore).
    static func decodeItem(_ kind: RuleItemKind, _ m: inout JSONMembers) throws(RuleEventDecodingError) -> RuleItem {
        switch kind {
        case .group: return .group(try m.string("name"))
        case .service:
            let name = try m.string("name")
            var fields: [String] = []
            for (i, value) in try m.array("fields").enumerated() {
                guard case .string(let f) = value else { throw m.fail("fields[\(i)]", "expected a string") }
                fields.append(f)
            }
            return .service(ServiceDeclaration(name: name, fields: fields))
        case .field: return .field(service: try m.string("service"), name: try m.string("name"))
        case .mapping:
            return .mapping(HashMapping(id: try m.string("id"), service: try m.string("service"),
                                        field: try m.optionalString("field"), value: try m.optionalString("value"),
                                        type: try m.choice("type", CostType.self), cost: try m.decimal("cost"),
                                        group: try m.optionalString("group"), tenant: try m.optionalString("tenant")))
        case .threshold:
            return .threshold(HashThreshold(id: try m.string("id"), service: try m.string("service"),
                                            field: try m.optionalString("field"), level: try m.decimal("level"),
                                            type: try m.choice("type", CostType.self), cost: try m.decimal("cost"),
                                            group: try m.optionalString("group"), tenant: try m.optionalString("tenant")))
        case .tier:
            let id = try m.string("id"), service = try m.string("service"), tenant = try m.optionalString("tenant")
            let schedule = try decodeSchedule(&m)
            var cycleMembers = try m.object("cycle")
            let cycle = try decodeCycle(&cycleMembers)
            try cycleMembers.finish()
            return .tier(TierRule(id: id, service: service, schedule: schedule, cycle: cycle, tenant: tenant))
        case .script:
            return .script(ScriptRule(id: try m.string("id"), source: try m.string("source")))
        }
    }

    static func decodeSchedule(_ m: inout JSONMembers) throws(RuleEventDecodingError) -> TierSchedule {
        let mode = try m.choice("mode", TierSchedule.Mode.self)
        var bands: [TierSchedule.Tier] = []
        for (i, value) in try m.array("tiers").enumerated() {
            var band = try JSONMembers(value, path: m.name("tiers[\(i)]"))
            bands.append(TierSchedule.Tier(upTo: try band.optionalDecimal("up_to"), unitPrice: try band.decimal("unit_price"),
                                           flatFee: try band.optionalDecimal("flat_fee") ?? .zero))
            try band.finish()
        }
        return TierSchedule(mode: mode, tiers: bands, packageSize: try m.optionalDecimal("package_size") ?? .one,
                            packagePrice: try m.optionalDecimal("package_price") ?? .zero,
                            freeAllowance: try m.optionalDecimal("free") ?? .zero,
                            minimumCharge: try m.optionalDecimal("minimum") ?? .zero)
    }

    static func decodeCycle(_ m: inout JSONMembers) throws(RuleEventDecodingError) -> BillingCycle {
        if let every = try m.optionalString("every") {
            guard every == "month" else { throw m.fail("every", "'\(every)' is not 'month' (use every_seconds)") }
            let offset = m.optional("utc_offset_seconds") == nil ? 0 : try m.integer("utc_offset_seconds")
            guard let seconds = Int(exactly: offset), abs(seconds) <= 14 * 3600 else {
                throw m.fail("utc_offset_seconds", "\(offset) is not a UTC offset in seconds")
            }
            return .calendarMonth(utcOffsetSeconds: seconds)
        }
        let seconds = try m.integer("every_seconds")
        let anchor = try m.optionalTime("anchor") ?? EventTime(micros: 0)
        return .fixed(seconds: seconds, anchor: anchor)
    }
}
