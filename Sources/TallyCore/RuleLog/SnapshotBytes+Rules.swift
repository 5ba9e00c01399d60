/// Binary forms of the rule model for snapshots. Tags are part of the snapshot format
/// (bump `RuleLogState.snapshotFormat` when they change).

extension SnapshotWriter {
    mutating func validity(_ v: RuleValidity) { time(v.start); optional(v.end) { $0.time($1) } }
    mutating func optString(_ s: String?) { optional(s) { $0.string($1) } }

    mutating func item(_ item: RuleItem) {
        switch item {
        case .group(let name): u8(0); string(name)
        case .service(let s): u8(1); string(s.name); array(s.fields) { $0.string($1) }
        case .field(let service, let name): u8(2); string(service); string(name)
        case .mapping(let m):
            u8(3); string(m.id); string(m.service); optString(m.field); optString(m.value); string(m.type.rawValue)
            decimal(m.cost); optString(m.group); optString(m.tenant); validity(m.validity)
        case .threshold(let t):
            u8(4); string(t.id); string(t.service); optString(t.field); decimal(t.level); string(t.type.rawValue)
            decimal(t.cost); optString(t.group); optString(t.tenant); validity(t.validity)
        case .tier(let t):
            u8(5); string(t.id); string(t.service); optString(t.tenant); validity(t.validity)
            let s = t.schedule
            string(s.mode.rawValue)
            array(s.tiers) { w, band in w.optional(band.upTo) { $0.decimal($1) }; w.decimal(band.unitPrice); w.decimal(band.flatFee) }
            decimal(s.packageSize); decimal(s.packagePrice); decimal(s.freeAllowance); decimal(s.minimumCharge)
            switch t.cycle {
            case .calendarMonth(let offset): u8(0); int(offset)
            case .fixed(let seconds, let anchor): u8(1); i64(seconds); time(anchor)
            }
        case .script(let s): u8(6); string(s.id); string(s.source); validity(s.validity)
        }
    }

    mutating func target(_ t: RuleTarget) {
        switch t {
        case .group(let name): u8(0); string(name)
        case .service(let name): u8(1); string(name)
        case .field(let service, let name): u8(2); string(service); string(name)
        case .rule(let kind, let id): u8(3); string(kind.rawValue); string(id)
        }
    }

    mutating func change(_ c: RuleChange) {
        switch c {
        case .create(let i): u8(0); item(i)
        case .update(let i): u8(1); item(i)
        case .end(let t): u8(2); target(t)
        case .delete(let t): u8(3); target(t)
        case .enableModule(let m): u8(4); string(m.rawValue)
        case .disableModule(let m): u8(5); string(m.rawValue)
        case .setModulePriority(let m, let p): u8(6); string(m.rawValue); int(p)
        case .batch(let parts):
            // Never stored: the state keeps each part's own effect and audit entry.
            u8(7); int(parts.count)
            for part in parts { change(part.change); time(part.start); optional(part.end) { $0.time($1) } }
        }
    }

    mutating func audit(_ a: RuleAuditEntry) {
        i64(a.offset); string(a.eventID); string(a.author); string(a.reason); time(a.recordedAt); time(a.start)
        optional(a.end) { $0.time($1) }; bool(a.force); string(a.operation); string(a.hash)
    }
}

extension SnapshotReader {
    mutating func validity() throws(RuleLogSnapshotError) -> RuleValidity {
        RuleValidity(start: try time(), end: try optional { r throws(RuleLogSnapshotError) in try r.time() })
    }
    mutating func optString() throws(RuleLogSnapshotError) -> String? {
        try optional { r throws(RuleLogSnapshotError) in try r.string() }
    }
    mutating func choice<E: RawRepresentable>(_: E.Type) throws(RuleLogSnapshotError) -> E where E.RawValue == String {
        let text = try string()
        guard let value = E(rawValue: text) else { throw fail("unknown \(E.self) '\(text)'") }
        return value
    }

    mutating func item() throws(RuleLogSnapshotError) -> RuleItem {
        switch try u8() {
        case 0: return .group(try string())
        case 1:
            return .service(ServiceDeclaration(name: try string(), fields: try array { r throws(RuleLogSnapshotError) in try r.string() }))
        case 2: return .field(service: try string(), name: try string())
        case 3:
            return .mapping(HashMapping(id: try string(), service: try string(), field: try optString(), value: try optString(),
                                        type: try choice(CostType.self), cost: try decimal(), group: try optString(),
                                        tenant: try optString(), validity: try validity()))
        case 4:
            return .threshold(HashThreshold(id: try string(), service: try string(), field: try optString(), level: try decimal(),
                                            type: try choice(CostType.self), cost: try decimal(), group: try optString(),
                                            tenant: try optString(), validity: try validity()))
        case 5:
            let id = try string(), service = try string(), tenant = try optString(), validity = try validity()
            let mode = try choice(TierSchedule.Mode.self)
            let bands = try array { r throws(RuleLogSnapshotError) in
                TierSchedule.Tier(upTo: try r.optional { r2 throws(RuleLogSnapshotError) in try r2.decimal() },
                                  unitPrice: try r.decimal(), flatFee: try r.decimal())
            }
            let schedule = TierSchedule(mode: mode, tiers: bands, packageSize: try decimal(), packagePrice: try decimal(),
                                        freeAllowance: try decimal(), minimumCharge: try decimal())
            let cycle: BillingCycle
            switch try u8() {
            case 0: cycle = .calendarMonth(utcOffsetSeconds: try int())
            case 1: cycle = .fixed(seconds: try i64(), anchor: try time())
            default: throw fail("unknown billing cycle tag")
            }
            return .tier(TierRule(id: id, service: service, schedule: schedule, cycle: cycle, tenant: tenant, validity: validity))
        case 6: return .script(ScriptRule(id: try string(), source: try string(), validity: try validity()))
        default: throw fail("unknown item tag")
        }
    }

    mutating func target() throws(RuleLogSnapshotError) -> RuleTarget {
        switch try u8() {
        case 0: return .group(try string())
        case 1: return .service(try string())
        case 2: return .field(service: try string(), name: try string())
        case 3: return .rule(try choice(RuleItemKind.self), try string())
        default: throw fail("unknown target tag")
        }
    }

    mutating func change() throws(RuleLogSnapshotError) -> RuleChange {
        switch try u8() {
        case 0: return .create(try item())
        case 1: return .update(try item())
        case 2: return .end(try target())
        case 3: return .delete(try target())
        case 4: return .enableModule(try choice(RatingModuleKind.self))
        case 5: return .disableModule(try choice(RatingModuleKind.self))
        case 6: return .setModulePriority(try choice(RatingModuleKind.self), try int())
        case 7:
            var parts: [PlannedRuleChange] = []
            for _ in 0..<max(0, try int()) {
                parts.append(PlannedRuleChange(change: try change(), start: try time(),
                                               end: try optional { r throws(RuleLogSnapshotError) in try r.time() }))
            }
            return .batch(parts)
        default: throw fail("unknown change tag")
        }
    }

    mutating func audit() throws(RuleLogSnapshotError) -> RuleAuditEntry {
        RuleAuditEntry(offset: try i64(), eventID: try string(), author: try string(), reason: try string(),
                       recordedAt: try time(), start: try time(),
                       end: try optional { r throws(RuleLogSnapshotError) in try r.time() }, force: try bool(),
                       operation: try string(), hash: try string())
    }
}
