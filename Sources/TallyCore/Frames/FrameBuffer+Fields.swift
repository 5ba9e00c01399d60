extension FrameBuffer {
    /// Seals the frame described by `fields` straight into this buffer, linked to
    /// `previousHash`: the same bytes as building the `Frame` and calling
    /// `seal(previousHash:into:)`, without the value (its member strings, its groupby and
    /// metadata dictionaries sorted per frame). Returns the record and its content hash.
    public mutating func seal(_ fields: borrowing FrameFields, symbols: SymbolTable,
                              previousHash: String) -> (bytes: [UInt8], contentHash: String) {
        let (hashAt, bodyStart) = startRecord()
        let (cut, resume) = Frame.writeMembers(fields, symbols: symbols, previousHash: previousHash, to: &writer)
        let contentHash = writer.fillContentHash(at: hashAt, body: bodyStart..<cut, resume)
        return (writer.bytes, contentHash)
    }
}

extension Frame {
    /// `writeMembers(to:previousHash:)` from the engine's fields: the same members in the
    /// same (canonical) order; keep the two in step (FrameFieldsSealingTests).
    ///
    /// The caller continued the object after `content_hash`, so `currency` comes first
    /// without a comma. Each run of fixed text (a comma, a key, the braces of `lineage`,
    /// `rule_book`, `scope` and `window` around their members) is one literal, as in an
    /// explanation: a `key` call per member was a capacity check and a copy of a few bytes
    /// each. Literals hold whole values, so the writer's nesting state stays as it was.
    static func writeMembers(_ f: borrowing FrameFields, symbols: SymbolTable, previousHash: String,
                             to w: inout CanonicalWriter) -> (cut: Int, resume: Int) {
        w.literal(#""currency":"#); w.string(f.currency)
        w.literal(#","engine_version":"#); w.string(f.engineVersion)
        w.literal(#","frame_id":"#); writeID(f, symbols: symbols, to: &w)
        w.literal(#","groupby":"#); writeObject(f.groupbyLayout, f.groupValues, symbols: symbols, to: &w)
        w.literal(#","lineage":{"ranges":["#)
        for (k, r) in f.lineage.enumerated() {
            if k > 0 { w.literalByte(UInt8(ascii: ",")) }
            w.literal(#"{"first_offset":"#); w.integer(r.firstOffset)
            w.literal(#","last_offset":"#); w.integer(r.lastOffset)
            w.literal(#","partition":"#); w.integer(Int64(r.partition))
            w.literal(#","samples":"#); w.integer(r.samples)
            w.literal(#","topic":"#); w.string(f.topics[Int(r.topic)])
            w.literalByte(UInt8(ascii: "}"))
        }
        w.literal(#"],"sample_count":"#); w.integer(f.sampleCount)
        w.literal(#","sample_digest":"#); w.hexString(high: f.sampleDigest.high, low: f.sampleDigest.low)
        w.literal(#"},"metadata":"#); writeObject(f.metadataLayout, f.metadata, symbols: symbols, to: &w)
        w.literal(#","metric":"#); w.string(f.metric)
        w.literal(#","output_partition":"#); w.integer(Int64(f.outputPartition))
        let cut = w.count
        w.literal(#","previous_hash":"#); w.string(previousHash)
        let resume = w.count
        w.literal(#","previous_price":""#); w.explanationDecimal(f.previousPrice)
        w.literal(#"","price":""#); w.explanationDecimal(f.price)
        w.literal(#"","price_delta":""#); w.explanationDecimal(f.price - f.previousPrice)
        w.literal(#"","project_id":"#); w.optionalString(f.project, in: symbols)
        w.literal(#","quantity":""#); w.explanationDecimal(f.quantity)
        w.literal(#"","rating":"#); f.explanation.write(to: &w)
        if case let .ratingFailed(reason) = f.status { w.literal(#","rating_error":"#); w.string(reason) }
        w.literal(#","resource_id":"#); w.string(f.resource, in: symbols)
        w.literal(#","revision":"#); w.integer(Int64(f.revision))
        w.literal(#","rule_book":{"hash":"#); w.string(f.ruleBookHash)
        w.literal(#","version":"#); if let v = f.ruleBookVersion { w.integer(v) } else { w.null() }
        // `Frame.schemaName` as part of the literal (FrameFieldsSealingTests compare with it).
        w.literal(#"},"schema":"tally.frame/1","scope":{"id":"#); w.string(f.scope, in: symbols)
        w.literal(#","kind":"#); w.string(f.scopeKind)
        w.literal(#"},"service":"#); w.string(f.service)
        if case .rated = f.status { w.literal(#","status":"rated","unit":"#) } else { w.literal(#","status":"rating-failed","unit":"#) }
        w.string(f.unit)
        w.literal(#","user_id":"#); w.optionalString(f.user, in: symbols)
        w.literal(#","window":{"end":"#); w.timestamp(f.windowEnd)
        w.literal(#","start":"#); w.timestamp(f.windowStart)
        w.literalByte(UInt8(ascii: "}"))
        w.close()
        return (cut, resume)
    }

    /// A laid-out object: its members in the order the layout sorted them once, braces and
    /// keys (with their commas) copied from the layout as whole values, so the writer's
    /// nesting state stays as it was.
    private static func writeObject(_ layout: FrameObjectLayout, _ values: [MetaValue], symbols: SymbolTable,
                                    to w: inout CanonicalWriter) {
        w.literalByte(UInt8(ascii: "{"))
        layout.keys.withUnsafeBytes { keys in
            for (k, member) in layout.sorted.enumerated() {
                let skip = k == 0 ? 1 : 0  // the first member has no comma before it
                w.copy(UnsafeRawBufferPointer(rebasing: keys[(Int(member.keyStart) + skip)..<Int(member.keyStart + member.keyCount)]))
                w.value(values[member.slot], in: symbols)
            }
        }
        w.literalByte(UInt8(ascii: "}"))
    }

    /// `Frame.id` over the fields, its 32 hex digits written in place as a JSON string. The
    /// id's input (each piece followed by a NUL) is written where the id goes and hashed in
    /// one call, then replaced by the id: a libcrypto update per piece (fourteen for a frame
    /// without groupby) cost more than hashing the ~100 bytes.
    private static func writeID(_ f: borrowing FrameFields, symbols: SymbolTable, to w: inout CanonicalWriter) {
        let start = w.count
        w.literal("tally.frame/1\0"); w.text(f.metric); w.literalByte(0)  // `Frame.schemaName`
        w.text(f.scopeKind); w.literalByte(0)
        w.text(f.scope, in: symbols); w.literalByte(0)
        w.text(f.resource, in: symbols); w.literalByte(0)
        for (name, slot) in f.groupbyLayout.idOrder {
            // The value as its canonical JSON text: the writer's `value` is that text.
            w.text(name); w.literalByte(0x3D); w.value(f.groupValues[slot], in: symbols); w.literalByte(0)
        }
        w.integer(f.windowStart.micros)
        w.replaceWithQuotedDigestHex(from: start, prefixBytes: 16)
    }
}
