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
    static func writeMembers(_ f: borrowing FrameFields, symbols: SymbolTable, previousHash: String,
                             to w: inout CanonicalWriter) -> (cut: Int, resume: Int) {
        w.key("currency"); w.string(f.currency)
        w.key("engine_version"); w.string(f.engineVersion)
        w.key("frame_id"); writeID(f, symbols: symbols, to: &w)
        w.key("groupby"); writeObject(f.groupbyLayout, f.groupValues, symbols: symbols, to: &w)
        w.key("lineage"); w.open()
        w.key("ranges"); w.openArray()
        for r in f.lineage {
            w.element(); w.open()
            w.key("first_offset"); w.integer(r.firstOffset)
            w.key("last_offset"); w.integer(r.lastOffset)
            w.key("partition"); w.integer(Int64(r.partition))
            w.key("samples"); w.integer(r.samples)
            w.key("topic"); w.string(f.topics[Int(r.topic)])
            w.close()
        }
        w.closeArray()
        w.key("sample_count"); w.integer(f.sampleCount)
        w.key("sample_digest"); w.hexString(high: f.sampleDigest.high, low: f.sampleDigest.low)
        w.close()
        w.key("metadata"); writeObject(f.metadataLayout, f.metadata, symbols: symbols, to: &w)
        w.key("metric"); w.string(f.metric)
        w.key("output_partition"); w.integer(Int64(f.outputPartition))
        let cut = w.count
        w.key("previous_hash"); w.string(previousHash)
        let resume = w.count
        w.key("previous_price"); w.decimal(f.previousPrice)
        w.key("price"); w.decimal(f.price)
        w.key("price_delta"); w.decimal(f.price - f.previousPrice)
        w.key("project_id"); w.optionalString(f.project, in: symbols)
        w.key("quantity"); w.decimal(f.quantity)
        w.key("rating"); f.explanation.write(to: &w)
        if case let .ratingFailed(reason) = f.status { w.key("rating_error"); w.string(reason) }
        w.key("resource_id"); w.string(f.resource, in: symbols)
        w.key("revision"); w.integer(Int64(f.revision))
        w.key("rule_book"); w.open()
        w.key("hash"); w.string(f.ruleBookHash)
        w.key("version"); if let v = f.ruleBookVersion { w.integer(v) } else { w.null() }
        w.close()
        w.key("schema"); w.string(Frame.schemaName)
        w.key("scope"); w.open()
        w.key("id"); w.string(f.scope, in: symbols)
        w.key("kind"); w.string(f.scopeKind)
        w.close()
        w.key("service"); w.string(f.service)
        w.key("status"); if case .rated = f.status { w.string("rated") } else { w.string("rating-failed") }
        w.key("unit"); w.string(f.unit)
        w.key("user_id"); w.optionalString(f.user, in: symbols)
        w.key("window"); w.open()
        w.key("end"); w.timestamp(f.windowEnd)
        w.key("start"); w.timestamp(f.windowStart)
        w.close()
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
