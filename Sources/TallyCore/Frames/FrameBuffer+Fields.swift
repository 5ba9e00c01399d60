extension FrameBuffer {
    /// Seals the frame described by `fields` straight into this buffer, linked to
    /// `previousHash`: the same bytes as building the `Frame` and calling
    /// `seal(previousHash:into:)`, without the value (its member strings, its groupby and
    /// metadata dictionaries sorted per frame). Returns the record and its content hash.
    public mutating func seal(_ fields: borrowing FrameFields, symbols: SymbolTable,
                              previousHash: String) -> (bytes: [UInt8], contentHash: String) {
        writer.reset()
        writer.raw(#"{"content_hash":""#)
        let hashAt = writer.count
        writer.raw("0000000000000000000000000000000000000000000000000000000000000000")
        writer.raw(#"","#)
        let bodyStart = writer.count
        writer.continueObject()
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
        w.literal(#"},"schema":"#); w.string(Frame.schemaName)
        w.literal(#","scope":{"id":"#); w.string(f.scope, in: symbols)
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

    /// A laid-out object: its members in the order the layout sorted them once.
    private static func writeObject(_ layout: FrameObjectLayout, _ values: [MetaValue], symbols: SymbolTable,
                                    to w: inout CanonicalWriter) {
        w.open()
        for member in layout.sorted {
            w.encodedKey(member.keyBytes)
            w.value(values[member.slot], in: symbols)
        }
        w.close()
    }

    /// `Frame.id` over the fields, its 32 hex digits written in place as a JSON string.
    private static func writeID(_ f: borrowing FrameFields, symbols: SymbolTable, to w: inout CanonicalWriter) {
        var h = SHA256()
        h.update(schemaName); h.update(byte: 0)
        h.update(f.metric); h.update(byte: 0)
        h.update(f.scopeKind); h.update(byte: 0)
        hashText(f.scope, symbols, into: &h); h.update(byte: 0)
        hashText(f.resource, symbols, into: &h); h.update(byte: 0)
        for (name, slot) in f.groupbyLayout.idOrder {
            h.update(name); h.update(byte: 0x3D)
            hashCanonical(f.groupValues[slot], symbols, into: &h); h.update(byte: 0)
        }
        hashDecimal(f.windowStart.micros, into: &h)
        w.withTail(34) { out in
            out[0] = UInt8(ascii: "\"")
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { hex in
                h.writeHex(to: hex.baseAddress!)
                (out + 1).update(from: hex.baseAddress!, count: 32)
            }
            out[33] = UInt8(ascii: "\"")
        }
    }

    /// A symbol's text as `Frame.id` hashes it (the `String`'s UTF-8: invalid bytes as U+FFFD).
    private static func hashText(_ symbol: Symbol, _ symbols: SymbolTable, into h: inout SHA256) {
        let ascii = symbols.withBytes(symbol) { bytes -> Bool in
            for b in bytes where b >= 0x80 { return false }
            h.update(buffer: bytes)
            return true
        }
        if !ascii { h.update(symbols.string(symbol)) }
    }

    /// A groupby value's canonical JSON text, as `Frame.id` hashes it.
    private static func hashCanonical(_ value: MetaValue, _ symbols: SymbolTable, into h: inout SHA256) {
        switch value.kind {
        case .absent, .null: h.update("null")
        case .bool: h.update(symbols.withBytes(value.text) { $0.elementsEqual("true".utf8) } ? "true" : "false")
        default:
            let plain = symbols.withBytes(value.text) { bytes -> Bool in
                for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C || b >= 0x80 { return false }
                h.update(byte: UInt8(ascii: "\""))
                h.update(buffer: bytes)
                h.update(byte: UInt8(ascii: "\""))
                return true
            }
            if !plain { h.update(CanonicalJSON.string(symbols.string(value.text)).text) }
        }
    }
}
