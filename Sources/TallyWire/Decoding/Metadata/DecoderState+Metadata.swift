import TallyCore

extension DecoderState {
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
