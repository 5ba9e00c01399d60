import TallyCore

/// What every decoder owns and reuses from record to record: the symbol table, the
/// metadata plan, scratch buffers for unescaping, and the staging area where a record's
/// samples wait until the whole record has been read.
///
/// Staging is what makes a record all-or-nothing: if its JSON turns out malformed after
/// some samples were read (a truncated tail, say), nothing has been emitted yet, so the
/// engine never folds part of a record it then dead-letters. Not thread-safe.
final class DecoderState {
    let symbols: SymbolTable
    /// In front of `symbols` for the sample fields whose values repeat (metric, unit,
    /// project, user).
    let recentSymbols: RecentSymbols
    let plan: MetadataPlan
    let trie: PathTrieView
    let slotCount: Int
    /// True when some plan path addresses the sample's top level (`@field`).
    let readsSampleFields: Bool
    /// True when some plan path goes into the metadata object.
    let readsMetadata: Bool

    /// For string values that need unescaping before they are interned.
    let valueScratch = ScratchBuffer()
    /// For object keys that need unescaping before they are matched.
    let keyScratch = ScratchBuffer(capacity: 256)
    /// For the first of two unescapings when reading doubly-escaped JSON in place.
    let outerScratch = ScratchBuffer(capacity: 256)

    /// Finds repeated keys in the objects of the record being read.
    let duplicateKeys = DuplicateKeyDetector()
    /// The last sample object's keys per format and quoting, which the next one's members
    /// are compared with before they are read (`MemberShape`).
    let memberShapes = MemberShapes()
    /// Whether `readSample` follows `memberShapes`; tests turn it off to check that
    /// decoding with and without them is the same.
    var predictsShapes = true
    /// Set when the input verifies Ceilometer signatures.
    let signatureCheck: CeilometerSignatureCheck?
    /// Ceilometer notification priorities accepted (empty: any).
    let acceptedPriorities: [[UInt8]]

    let trueText: Symbol
    let falseText: Symbol
    let nullText: Symbol

    // Exclusivity of the staging state is not checked at run time: a decoder is used by
    // one thread and its callbacks cannot reach it.
    /// Samples of the current record; their `metadata` is fixed up at `flush`.
    @exclusivity(unchecked) private(set) var staged: [DecodedSample] = []
    @exclusivity(unchecked) private(set) var rejections: [SampleRejection] = []
    /// `slotCount` slots per staged sample, in staging order, plus one area for the
    /// sample being read.
    @exclusivity(unchecked) private var slotStorage: UnsafeMutablePointer<MetaValue>
    @exclusivity(unchecked) private var slotCapacity: Int
    /// For the sample being read: the rank of the alternative that filled each slot.
    let ranks: UnsafeMutablePointer<Int>
    /// The ranks before the metadata walk, to tell what it stored (`readMetadata`).
    let priorRanks: UnsafeMutablePointer<Int>
    /// Per slot, whether some alternative is a path into the metadata object.
    let slotHasMetadataPath: [Bool]
    /// Metadata objects decoded before, by resource (nil when the plan reads no metadata,
    /// or a test turned it off with `cachesMetadata`).
    private(set) var metadataCache: MetadataSpanCache?

    init(symbols: SymbolTable, plan: MetadataPlan, options: DecoderOptions = DecoderOptions()) {
        self.symbols = symbols
        recentSymbols = RecentSymbols(symbols: symbols)
        signatureCheck = options.signatures.map { CeilometerSignatureCheck(authenticator: $0) }
        acceptedPriorities = options.acceptedPriorities.map { Array($0.utf8) }
        self.plan = plan
        trie = plan.trie.view
        slotCount = plan.count
        readsSampleFields = plan.keys.contains { $0.alternatives.contains { $0.root == .sample } }
        readsMetadata = plan.keys.contains { $0.alternatives.contains { $0.root == .metadata } }
        trueText = symbols.intern("true")
        falseText = symbols.intern("false")
        nullText = symbols.intern("null")
        slotCapacity = max(1, slotCount) * 16
        slotStorage = .allocate(capacity: slotCapacity)
        ranks = .allocate(capacity: max(1, slotCount))
        priorRanks = .allocate(capacity: max(1, slotCount))
        priorRanks.initialize(repeating: .max, count: max(1, slotCount))
        slotHasMetadataPath = plan.keys.map { $0.alternatives.contains { $0.root == .metadata } }
        staged.reserveCapacity(16)
        cacheMetadata()
    }

    /// Whether metadata objects are looked up in (and added to) `metadataCache`; tests
    /// turn it off to check that decoding with and without the cache is the same.
    var cachesMetadata: Bool {
        get { metadataCache != nil }
        set {
            if !newValue { metadataCache = nil } else if metadataCache == nil { cacheMetadata() }
        }
    }

    /// Starts an empty metadata cache (none when the plan reads no metadata); tests give
    /// it a small arena to make it start over often.
    func cacheMetadata(arenaBudget: Int = MetadataSpanCache.defaultArenaBudget) {
        metadataCache = readsMetadata ? MetadataSpanCache(slotCount: slotCount, arenaBudget: arenaBudget) : nil
    }

    deinit {
        slotStorage.deallocate()
        ranks.deallocate()
        priorRanks.deallocate()
    }

    /// Prepares the slots of the next sample (all absent) and returns them.
    func beginSample() -> UnsafeMutablePointer<MetaValue> {
        let needed = (staged.count + 1) * slotCount
        if needed > slotCapacity {
            let grown = UnsafeMutablePointer<MetaValue>.allocate(capacity: needed * 2)
            grown.moveInitialize(from: slotStorage, count: staged.count * slotCount)
            slotStorage.deallocate()
            slotStorage = grown
            slotCapacity = needed * 2
        }
        let slots = slotStorage + staged.count * slotCount
        for i in 0..<slotCount {
            slots[i] = .absent
            ranks[i] = .max
        }
        return slots
    }

    /// Keeps the sample whose slots `beginSample` returned last.
    func stage(_ sample: DecodedSample) { staged.append(sample) }

    func stage(_ rejection: SampleRejection) { rejections.append(rejection) }

    /// Hands the staged samples, then the rejections, to the callbacks and clears them.
    /// Runs `read`, which stages a record's samples; a record that throws stages
    /// nothing (all or nothing), otherwise the staged samples go to `emit`/`reject`.
    func decodeRecord(emit: (DecodedSample) -> Void, reject: (SampleRejection) -> Void,
                      _ read: () throws(RecordDecodeError) -> Void) throws(RecordDecodeError) -> RecordDecodeCounts {
        duplicateKeys.reset()
        do throws(RecordDecodeError) {
            try read()
        } catch {
            discard()
            throw error
        }
        return flush(emit: emit, reject: reject)
    }

    func flush(emit: (DecodedSample) -> Void, reject: (SampleRejection) -> Void) -> RecordDecodeCounts {
        let counts = RecordDecodeCounts(emitted: staged.count, rejected: rejections.count)
        for i in staged.indices {
            var sample = staged[i]
            sample.metadata = UnsafeBufferPointer(start: slotStorage + i * slotCount, count: slotCount)
            emit(sample)
        }
        for rejection in rejections { reject(rejection) }
        discard()
        return counts
    }

    /// Forgets the current record's staged samples (the record failed as a whole).
    func discard() {
        staged.removeAll(keepingCapacity: true)
        rejections.removeAll(keepingCapacity: true)
    }

    // MARK: Reading text

    /// The bytes of a string value, unescaped into the value scratch if needed; valid
    /// until the next call.
    @inline(__always)
    func text(_ span: JSONStringSpan, in scanner: JSONScanner) -> UnsafeRawBufferPointer {
        let raw = scanner.bytes(span.range)
        return span.hasEscapes ? unescape(raw, in: scanner, into: valueScratch) : raw
    }

    /// Like `text(_:in:)` but with the key scratch, so a key stays readable while its
    /// value is read.
    @inline(__always)
    func key(_ span: JSONStringSpan, in scanner: JSONScanner) -> UnsafeRawBufferPointer {
        let raw = scanner.bytes(span.range)
        return span.hasEscapes ? unescape(raw, in: scanner, into: keyScratch) : raw
    }

    /// String contents to text: one unescaping, or two when the scanner reads escaped JSON.
    private func unescape(_ raw: UnsafeRawBufferPointer, in scanner: JSONScanner,
                          into scratch: ScratchBuffer) -> UnsafeRawBufferPointer {
        guard scanner.quoteIsEscaped else { return JSONUnescaper.unescape(raw, into: scratch) }
        return JSONUnescaper.unescape(JSONUnescaper.unescape(raw, into: outerScratch), into: scratch)
    }

    /// Raw JSON text of a value (for `.other` metadata) as the once-unescaped JSON reads it.
    func rawJSON(_ range: Range<Int>, in scanner: JSONScanner) -> UnsafeRawBufferPointer {
        let raw = scanner.bytes(range)
        return scanner.quoteIsEscaped ? JSONUnescaper.unescape(raw, into: outerScratch) : raw
    }

    @inline(__always)
    func intern(_ span: JSONStringSpan, in scanner: JSONScanner) -> Symbol {
        symbols.intern(text(span, in: scanner))
    }
}
