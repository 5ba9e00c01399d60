/// Prices windows against one `RuleBook`: the rating pipeline.
///
/// Enabled modules run by priority, highest first (`RuleBook.moduleOrder`): hashmap and
/// tiers add to the price they are given, a script sets it, noop passes it on. A module
/// failure marks the window `failed` with the reason; it is never priced as zero.
///
/// Not thread-safe: it caches compiled rules per (epoch, scope). Give each worker
/// thread its own `Rater` (creating one is cheap; compilation happens lazily).
public final class Rater {
    public let book: RuleBook
    public let scriptEvaluator: ScriptEvaluator?
    private let order: [RatingModuleKind]
    /// Whether the hashmap runs, and whether noop does (it only adds an explanation step).
    private let hashmapEnabled: Bool, noopEnabled: Bool
    /// Sorted instants where some rule starts or ends: the live set is constant between.
    private let boundaries: [EventTime]
    /// Each tenant's rules, so compiling a tenant costs its own rules plus the global ones.
    private let tenantRules: TenantRules
    /// Compiled rules per (epoch, tenant); tenants without rules share the global entry.
    private var compiled: [CacheKey: LiveRules] = [:]
    /// Per-scope shortcut for the epoch seen last: one hash lookup per window.
    private var scopeEpoch = -1
    private let byScope = ScopeCache()
    /// The last explanation's hashmap trace, refilled when nothing else holds it
    /// (`HashmapTrace.make`). Raw memory in a `let`: a stored `var` of the class would cost
    /// each window a dynamic exclusivity check.
    private let spareTrace: UnsafeMutablePointer<HashmapTrace?> = {
        let slot = UnsafeMutablePointer<HashmapTrace?>.allocate(capacity: 1)
        slot.initialize(to: nil)
        return slot
    }()

    private struct CacheKey: Hashable { var epoch: Int; var tenant: String? }

    public init(book: RuleBook, scriptEvaluator: ScriptEvaluator? = nil) {
        self.book = book
        self.scriptEvaluator = scriptEvaluator
        self.order = book.moduleOrder
        hashmapEnabled = order.contains(.hashmap)
        noopEnabled = order.contains(.noop)
        let r = book.rules
        var instants: Set<EventTime> = []
        // Most rules have always been in force and never end: no instant to note, and
        // skipping them saves a set insert per rule (10,000 tenants' books hold 100,000).
        func note(_ v: RuleValidity) {
            if v.start != .distantPast { instants.insert(v.start) }
            if let end = v.end { instants.insert(end) }
        }
        r.mappings.forEach { note($0.validity) }
        r.thresholds.forEach { note($0.validity) }
        r.tiers.forEach { note($0.validity) }
        r.scripts.forEach { note($0.validity) }
        instants.remove(.distantPast)  // an end at the distant past, if any
        boundaries = instants.sorted()
        tenantRules = TenantRules(r)
    }

    deinit {
        spareTrace.deinitialize(count: 1)
        spareTrace.deallocate()
    }

    /// Prices one closed window. `incomingPrice` is the price before the first module
    /// (CloudKitty starts at 0). `tierUsage` supplies earlier windows of a tier cycle;
    /// without it every window counts as its cycle's first. `explain: false` skips
    /// building the per-group explanation (the price is the same).
    public func rate(_ input: borrowing RatingInput, incomingPrice: ExactDecimal = .zero,
                     tierUsage: TierUsageSource? = nil, explain: Bool = true) -> RatingResult {
        // Unretained: the compiled cache owns every LiveRules for the Rater's life, so the
        // per-window path reads them without reference counting.
        // No closure around the call: a closure capturing the input copied it (a retain
        // per member) for every window.
        // The usual window: only the hashmap prices its scope's first service, read from
        // the scope table's entry without touching the scope's `LiveRules`.
        if hashmapEnabled && !(explain && noopEnabled) && epochIndex(of: input.windowStart) == scopeEpoch,
           let found = byScope.hashmapOnlyLookup(input.scope, service: input.service) {
            return rateHashmap(input, index: found.lookup, front: found.front, incomingPrice: incomingPrice, explain: explain)
        }
        unowned(unsafe) let live = unretainedLiveRules(at: input.windowStart, scope: input.scope).takeUnretainedValue()
        if hashmapEnabled && live.onlyHashmap && !(explain && noopEnabled) {
            return rateHashmapOnly(input, live: live, incomingPrice: incomingPrice, explain: explain)
        }
        return rate(input, live: live, incomingPrice: incomingPrice, tierUsage: tierUsage, explain: explain)
    }

    /// `rate(_:live:…)` when only the hashmap can change the price or the explanation (no
    /// tiers or scripts in force, noop off or not explained): the usual window, without the
    /// module loop and its step bookkeeping. Same result as the loop.
    private func rateHashmapOnly(_ input: borrowing RatingInput, live: LiveRules, incomingPrice: ExactDecimal,
                                 explain: Bool) -> RatingResult {
        guard let index = serviceLookup(live, input.service) else {
            return RatingResult(price: incomingPrice, status: .rated, explanation: Explanation())
        }
        return rateHashmap(input, index: index, incomingPrice: incomingPrice, explain: explain)
    }

    /// The hashmap-only path's pricing with `index`, the tables of the window's service.
    /// `front`: the scope table's copy of the index's front (nil: the lookup's own).
    private func rateHashmap(_ input: borrowing RatingInput, index: UnsafePointer<ServiceIndex.Lookup>,
                             front: UnsafePointer<ServiceIndex.Front>? = nil,
                             incomingPrice: ExactDecimal, explain: Bool) -> RatingResult {
        switch HashmapModule.rate(index, front: front, quantity: input.quantity, description: input.description,
                                  service: input.service, incoming: incomingPrice, explain: explain, spareTrace: spareTrace) {
        case .priced(let price, let trace):
            guard explain, let trace else { return RatingResult(price: price, status: .rated, explanation: Explanation()) }
            return RatingResult(price: price, status: .rated, explanation: Explanation(hashmap: trace))
        case .failed(let reason):
            return Self.failure(.hashmap, reason, incomingPrice, [])
        }
    }

    private func rate(_ input: borrowing RatingInput, live: LiveRules, incomingPrice: ExactDecimal,
                      tierUsage: TierUsageSource?, explain: Bool) -> RatingResult {
        var price = incomingPrice
        var steps: [ModuleStep] = []
        // The hashmap's step stays its trace while it is the only step (the usual window):
        // `Explanation(hashmap:)` then holds one object instead of step arrays.
        var trace: HashmapTrace?
        func note(_ step: ModuleStep) {
            if let t = trace { steps.append(t.moduleStep); trace = nil }
            steps.append(step)
        }
        func stepsSoFar() -> [ModuleStep] { trace.map { steps + [$0.moduleStep] } ?? steps }
        for module in order {
            let before = price
            switch module {
            case .noop:
                if explain { note(ModuleStep(module: .noop, priceBefore: before, priceAfter: before, detail: .noop)) }
            case .hashmap:
                guard let index = serviceLookup(live, input.service) else { continue }
                let outcome = HashmapModule.rate(index, quantity: input.quantity, description: input.description,
                                                 service: input.service, incoming: price, explain: explain, spareTrace: spareTrace)
                switch outcome {
                case .priced(let p, let t):
                    price = p
                    if explain { trace = t }
                case .failed(let reason):
                    return Self.failure(module, reason, before, stepsSoFar())
                }
            case .tiers:
                guard !live.tiers.isEmpty, let rule = live.tiers[input.service] else { continue }
                let (p, step) = TiersModule.rate(rule, input: input, incoming: price, usage: tierUsage)
                price = p
                if explain { note(ModuleStep(module: .tiers, priceBefore: before, priceAfter: p, detail: .tiers(step))) }
            case .script:
                if live.scripts.isEmpty { continue }
                guard let evaluator = scriptEvaluator else {
                    return Self.failure(module, "script rules are in force but no script evaluator is configured", before, stepsSoFar())
                }
                for script in live.scripts {
                    do { price = try evaluator.evaluate(script: script, input: input, currentPrice: price) } catch {
                        return Self.failure(module, "script '\(script.id)' failed: \(error)", before, stepsSoFar())
                    }
                }
                if explain {
                    note(ModuleStep(module: .script, priceBefore: before, priceAfter: price, detail: .script(live.scripts.map(\.id))))
                }
            }
        }
        if let trace {
            if steps.isEmpty { return RatingResult(price: price, status: .rated, explanation: Explanation(hashmap: trace)) }
            steps.append(trace.moduleStep)
        }
        return RatingResult(price: price, status: .rated, explanation: Explanation(modules: steps))
    }

    /// CloudKitty's quote: prices one point outside any window stream. No tenant rules
    /// apply unless `tenant` is given; tier schedules price it as a cycle's first window.
    public func quote(service: String, quantity: ExactDecimal, description: RatingDescription,
                      tenant: String? = nil, at time: EventTime, unit: String = "") -> RatingResult {
        let input = RatingInput(service: service, scope: tenant ?? "", resource: "", quantity: quantity, unit: unit,
                                windowStart: time, windowEnd: time, description: description)
        return rate(input)  // scope "" has no tenant rules: validation refuses empty tenants
    }

    private static func failure(_ module: RatingModuleKind, _ reason: String, _ price: ExactDecimal,
                                _ steps: [ModuleStep]) -> RatingResult {
        let failed = ModuleStep(module: module, priceBefore: price, priceAfter: price, detail: .failed(reason))
        return RatingResult(price: price, status: .failed(reason: "\(module.rawValue): \(reason)"),
                            explanation: Explanation(modules: steps + [failed]))
    }

    /// The compiled rules for `scope` at `time`: the epoch's global rules, compiled
    /// once, or for a tenant with rules of its own, its overlay on them.
    func liveRules(at time: EventTime, scope: String) -> LiveRules {
        unretainedLiveRules(at: time, scope: scope).takeUnretainedValue()
    }

    /// `liveRules` without a retain: the per-scope table answers most windows.
    @inline(__always) private func unretainedLiveRules(at time: EventTime, scope: String) -> Unmanaged<LiveRules> {
        let epoch = epochIndex(of: time)
        if epoch == scopeEpoch, let rules = byScope.findUnretained(scope) { return rules }
        return Unmanaged.passUnretained(compileLiveRules(epoch: epoch, scope: scope))
    }

    /// Compiles (or finds) the rules of `scope` in `epoch` and enters them in the
    /// per-scope table; `compiled` keeps them for the Rater's life.
    private func compileLiveRules(epoch: Int, scope: String) -> LiveRules {
        let key = CacheKey(epoch: epoch, tenant: nil)
        let global: LiveRules
        if let cached = compiled[key] { global = cached } else {
            global = LiveRules(global: book.rules, at: representative(epoch))
            compiled[key] = global
        }
        var rules = global
        if let own = tenantRules.own(scope) {
            let tenantKey = CacheKey(epoch: epoch, tenant: scope)
            if let cached = compiled[tenantKey] { rules = cached } else {
                rules = LiveRules(tenant: own, at: representative(epoch), over: global)
                compiled[tenantKey] = rules
            }
        }
        if epoch != scopeEpoch {
            scopeEpoch = epoch
            byScope.removeAll()
        }
        byScope.insert(scope, rules)
        return rules
    }

    /// An instant inside `epoch`, where exactly the epoch's rules are in force.
    private func representative(_ epoch: Int) -> EventTime {
        epoch == 0 ? EventTime.distantPast : boundaries[epoch - 1]
    }

    /// The tables of `service`'s hashmap rules, remembering the last answer (windows of
    /// one metric usually come in runs) to skip the lookup. Valid while the LiveRules
    /// that owns them is (the Rater's life).
    private func serviceLookup(_ live: LiveRules, _ service: String) -> UnsafePointer<ServiceIndex.Lookup>? {
        let liveID = ObjectIdentifier(live)
        if lastServiceRules == liveID && lastServiceName == service { return lastServiceLookup }
        let lookup = live.serviceLookup(service)
        lastServiceRules = liveID; lastServiceName = service; lastServiceLookup = lookup
        return lookup
    }
    // Three properties rather than a tuple: reading a tuple copies (retains) all three.
    // Identities and pointers: reading them costs no reference counting.
    private var lastServiceRules: ObjectIdentifier?
    private var lastServiceName = ""
    private var lastServiceLookup: UnsafePointer<ServiceIndex.Lookup>?

    /// The number of boundaries at or before `time`.
    private func epochIndex(of time: EventTime) -> Int {
        var low = 0, high = boundaries.count
        while low < high {
            let mid = (low + high) / 2
            if boundaries[mid] <= time { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// The tiers module: a window's share of its cycle's cumulative tiered price.
enum TiersModule {
    static func rate(_ rule: TierRule, input: RatingInput, incoming: ExactDecimal,
                     usage: TierUsageSource?) -> (ExactDecimal, TierStep) {
        let cycleStart = rule.cycle.cycleStart(containing: input.windowStart)
        let prior = usage?.priorUsage(scope: input.scope, service: input.service, cycleStart: cycleStart,
                                      before: input.windowStart) ?? .none
        let before = rule.schedule.cumulativePrice(quantity: prior.quantity, windows: prior.windows)
        let after = rule.schedule.cumulativePrice(quantity: prior.quantity + input.quantity, windows: prior.windows + 1)
        let step = TierStep(id: rule.id, cycleStart: cycleStart, priorQuantity: prior.quantity, priorWindows: prior.windows,
                            quantity: input.quantity, cumulativeBefore: before, cumulativeAfter: after)
        return (incoming + (after - before), step)
    }
}
