extension ServiceIndex {
    /// Everything a usual window reads of its own index, in two cache lines: where it
    /// starts, its service thresholds, the tables it matches against and, for a
    /// shared-fields overlay with few overrides, those overrides themselves (base slot →
    /// run, as keys and offsets into the overlay's mappings).
    ///
    /// It is the first member of the index's `Lookup`, and the scope table keeps a copy in
    /// each scope's entry (`ScopeCache`): a tenant's window then finds its service's
    /// tables, its overrides and the global tables it shares with every tenant from the
    /// scope's entry alone (three adjacent lines, fetched together), instead of the scope
    /// entry, then its lookup's first line, then a line of its override table: three
    /// dependent cache misses when windows of thousands of tenants interleave.
    struct Front {
        /// Overrides kept inline; a tenant with more keeps them in `Lookup.overrides`.
        static let inlineCapacity = 10

        /// The accumulators after the service mappings, where every window starts (nil only
        /// in a free scope entry, never read).
        var serviceStart: UnsafePointer<ServiceStart>?
        /// The service thresholds, reduced per interval of levels (nil without any).
        var serviceSteps: UnsafePointer<ThresholdSteps>?
        /// The fields, value tables, mappings and texts a window matches against: the
        /// index's own, or its base's for a shared-fields overlay (nil only in a free entry).
        var matching: UnsafePointer<Tables>?
        /// The overlay's own mappings: an inline override's run is a range of them.
        var overrideMappings: UnsafePointer<CompiledMapping>?
        /// Groups numbered across base and overlay.
        var groupCount: Int32 = 0
        /// Inline overrides in use; −1: more than fit (or runs beyond 16-bit offsets), read
        /// from the lookup's open-addressing table.
        var inlineCount: Int32 = 0
        /// Bit `slot & 63` set for every overridden base slot (all bits when they are not
        /// inline): most values a tenant does not price, and one test answers those.
        var overrideFilter: UInt64 = 0
        /// Base slots, `inlineCount` of them.
        var keys: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        /// Each key's run in `overrideMappings`: start << 16 | count.
        var runs: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

        init() {}

        /// The front of an index whose overrides (base slot, run in `mappings`) are
        /// `overrides`.
        init(serviceStart: UnsafePointer<ServiceStart>, serviceSteps: UnsafePointer<ThresholdSteps>?,
             matching: UnsafePointer<Tables>, groupCount: Int, mappings: UnsafePointer<CompiledMapping>?,
             overrides: [(slot: Int32, run: Range<Int32>)]) {
            self.serviceStart = serviceStart; self.serviceSteps = serviceSteps; self.matching = matching
            self.groupCount = Int32(groupCount)
            overrideMappings = mappings
            guard Self.fitsInline(overrides) else {
                inlineCount = -1
                overrideFilter = ~0
                return
            }
            inlineCount = Int32(overrides.count)
            withUnsafeMutableBytes(of: &keys) { keys in
                withUnsafeMutableBytes(of: &runs) { runs in
                    for (i, o) in overrides.enumerated() {
                        keys.storeBytes(of: o.slot, toByteOffset: i * 4, as: Int32.self)
                        let packed = UInt32(o.run.lowerBound) << 16 | UInt32(o.run.count)
                        runs.storeBytes(of: packed, toByteOffset: i * 4, as: UInt32.self)
                        overrideFilter |= 1 << UInt64(o.slot & 63)
                    }
                }
            }
        }

        /// Whether `overrides` fit inline: few enough, runs addressable in 16 bits.
        static func fitsInline(_ overrides: [(slot: Int32, run: Range<Int32>)]) -> Bool {
            overrides.count <= inlineCapacity && overrides.allSatisfy { $0.run.upperBound <= Int32(UInt16.max) && $0.slot >= 0 }
        }

        /// The inline override of base slot `slot` of the front at `front`: nil when the
        /// tenant does not price that value, or when its overrides are not inline
        /// (`inlineCount` < 0, then the caller asks the lookup's table).
        @inline(__always) static func inlineOverride(_ front: UnsafePointer<Front>, _ slot: Int) -> UnsafeBufferPointer<CompiledMapping>? {
            let count = Int(front.pointee.inlineCount)
            let raw = UnsafeRawPointer(front)
            let keys = (raw + MemoryLayout<Front>.offset(of: \Front.keys)!).assumingMemoryBound(to: Int32.self)
            let runs = (raw + MemoryLayout<Front>.offset(of: \Front.runs)!).assumingMemoryBound(to: UInt32.self)
            var i = 0
            while i < count {
                if Int(keys[i]) == slot {
                    let run = runs[i]
                    return UnsafeBufferPointer(start: front.pointee.overrideMappings.unsafelyUnwrapped + Int(run >> 16),
                                               count: Int(run & 0xFFFF))
                }
                i &+= 1
            }
            return nil
        }
    }
}
