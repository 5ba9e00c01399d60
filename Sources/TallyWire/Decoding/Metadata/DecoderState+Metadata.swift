import TallyCore

extension DecoderState {
    /// Reads the sample's metadata object (scanner at its `{`) into `slots`: from
    /// `metadataCache` when the object's bytes are ones already walked for `resource`
    /// (`Symbol.none` when the sample named none before its metadata) and that walk's
    /// outcome holds for these slots, otherwise by the walk, whose outcome is remembered.
    ///
    /// A walk stores a path's value when it outranks what the slot holds (a `@field` read
    /// earlier in the sample may fill a slot first), so an outcome is kept with the ranks
    /// it was found under: it holds for a slot that holds a rank no better than then
    /// (`bound`), since the walk saw every path that could then win. Such a slot would
    /// also make the walk intern no value the first walk did not (a value is interned
    /// only when it is wanted), so a hit leaves the symbol table as the walk would.
    @inline(__always)
    func readMetadata<Q: JSONQuoting>(_ scanner: inout JSONScanner, _: Q.Type, resource: Symbol,
                                      into slots: UnsafeMutablePointer<MetaValue>) throws(JSONSyntaxError) {
        guard let cache = metadataCache, resource != .none else {
            return try extractObject(node: PathTrie.metadataRoot, &scanner, Q.self, into: slots)
        }
        let start = scanner.position
        if let hit = cache.lookup(resource: resource, escaped: Q.isEscaped, text: scanner.bytes(start..<scanner.count)),
           applies(hit.outcomes) {
            for i in 0..<slotCount where hit.outcomes[i].rank < ranks[i] {
                slots[i] = hit.outcomes[i].value
                ranks[i] = hit.outcomes[i].rank
            }
            scanner.position = start + hit.length
            return
        }
        priorRanks.update(from: ranks, count: slotCount)
        try extractObject(node: PathTrie.metadataRoot, &scanner, Q.self, into: slots)
        guard let outcomes = cache.insert(resource: resource, escaped: Q.isEscaped,
                                          bytes: scanner.bytes(start..<scanner.position)) else { return }
        for i in 0..<slotCount {
            let found = ranks[i] < priorRanks[i]
            outcomes[i] = MetadataSpanCache.SlotOutcome(value: found ? slots[i] : .absent, rank: found ? ranks[i] : .max,
                                                        bound: slotHasMetadataPath[i] ? priorRanks[i] : .max)
        }
    }

    /// Whether a cached walk's outcome holds for the slots as they are (see `readMetadata`).
    @inline(__always)
    private func applies(_ outcomes: UnsafePointer<MetadataSpanCache.SlotOutcome>) -> Bool {
        for i in 0..<slotCount where ranks[i] > outcomes[i].bound { return false }
        return true
    }

    /// Walks an object value (scanner at `{`) that trie node `node` stands for, filling
    /// the slots of every path that ends inside it and skipping everything else.
    /// `Q` is the scanner's quoting (see `JSONQuoting`).
    func extractObject<Q: JSONQuoting>(node: Int, _ scanner: inout JSONScanner, _: Q.Type,
                                       into slots: UnsafeMutablePointer<MetaValue>) throws(JSONSyntaxError) {
        try scanner.beginObject(Q.self)
        var first = true
        while let keySpan = try scanner.nextMember(&first, Q.self) {
            let child = trie.child(of: node, key: key(keySpan, in: scanner))
            if child < 0 {
                try scanner.skipValue(Q.self)
            } else {
                try capture(node: child, &scanner, Q.self, into: slots)
            }
        }
    }

    /// Reads the value at the scanner for trie node `node`: stores it in the node's
    /// target slots (where this path outranks what is there) and descends if paths go
    /// deeper. Consumes the value.
    func capture<Q: JSONQuoting>(node: Int, _ scanner: inout JSONScanner, _: Q.Type,
                                 into slots: UnsafeMutablePointer<MetaValue>) throws(JSONSyntaxError) {
        let targets = trie.targetRange(of: node)
        var wanted = false
        for t in targets where trie.targets[t].rank < ranks[trie.targets[t].slot] { wanted = true }

        if trie.hasChildren(node), try scanner.peekKind(Q.self) == .object {
            let start = scanner.position
            try extractObject(node: node, &scanner, Q.self, into: slots)
            if wanted {
                let raw = symbols.intern(rawJSON(start..<scanner.position, in: scanner))
                store(MetaValue(kind: .other, text: raw), targets: targets, in: slots)
            }
        } else if wanted {
            store(try readMetaValue(&scanner, Q.self), targets: targets, in: slots)
        } else {
            try scanner.skipValue(Q.self)
        }
    }

    @inline(__always)
    private func store(_ value: MetaValue, targets: Range<Int>, in slots: UnsafeMutablePointer<MetaValue>) {
        for t in targets {
            let target = trie.targets[t]
            if target.rank < ranks[target.slot] {
                slots[target.slot] = value
                ranks[target.slot] = target.rank
            }
        }
    }

    /// One value as a `MetaValue`: unescaped text for strings, the token for numbers,
    /// `true`/`false`, `null` (kind null), raw JSON text for objects and arrays.
    func readMetaValue<Q: JSONQuoting>(_ scanner: inout JSONScanner, _: Q.Type) throws(JSONSyntaxError) -> MetaValue {
        switch try scanner.peekKind(Q.self) {
        case .string:
            return MetaValue(kind: .string, text: intern(try scanner.readString(at: Q.self), in: scanner))
        case .number:
            let number = try scanner.readNumber(Q.self)
            return MetaValue(kind: number.isInteger ? .int : .float,
                             text: symbols.intern(scanner.bytes(number.range)))
        case .bool:
            return try scanner.readBool() ? MetaValue(kind: .bool, text: trueText) : MetaValue(kind: .bool, text: falseText)
        case .null:
            try scanner.readNull()
            return MetaValue(kind: .null, text: nullText)
        case .object, .array:
            let start = scanner.position
            try scanner.skipValue(Q.self)
            return MetaValue(kind: .other, text: symbols.intern(rawJSON(start..<scanner.position, in: scanner)))
        }
    }
}
