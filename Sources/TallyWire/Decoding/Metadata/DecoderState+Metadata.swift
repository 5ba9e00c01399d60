import TallyCore

extension DecoderState {
    /// Walks an object value (scanner at `{`) that trie node `node` stands for, filling
    /// the slots of every path that ends inside it and skipping everything else.
    func extractObject(node: Int, _ scanner: inout JSONScanner,
                       into slots: UnsafeMutablePointer<MetaValue>) throws(JSONSyntaxError) {
        try scanner.beginObject()
        var first = true
        while let keySpan = try scanner.nextMember(&first) {
            let child = trie.child(of: node, key: key(keySpan, in: scanner))
            if child < 0 {
                try scanner.skipValue()
            } else {
                try capture(node: child, &scanner, into: slots)
            }
        }
    }

    /// Reads the value at the scanner for trie node `node`: stores it in the node's
    /// target slots (where this path outranks what is there) and descends if paths go
    /// deeper. Consumes the value.
    func capture(node: Int, _ scanner: inout JSONScanner,
                 into slots: UnsafeMutablePointer<MetaValue>) throws(JSONSyntaxError) {
        let targets = trie.targetRange(of: node)
        var wanted = false
        for t in targets where trie.targets[t].rank < ranks[trie.targets[t].slot] { wanted = true }

        if trie.hasChildren(node), try scanner.peekKind() == .object {
            let start = scanner.position
            try extractObject(node: node, &scanner, into: slots)
            if wanted {
                let raw = symbols.intern(rawJSON(start..<scanner.position, in: scanner))
                store(MetaValue(kind: .other, text: raw), targets: targets, in: slots)
            }
        } else if wanted {
            store(try readMetaValue(&scanner), targets: targets, in: slots)
        } else {
            try scanner.skipValue()
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
    func readMetaValue(_ scanner: inout JSONScanner) throws(JSONSyntaxError) -> MetaValue {
        switch try scanner.peekKind() {
        case .string:
            return MetaValue(kind: .string, text: intern(try scanner.readString(), in: scanner))
        case .number:
            let number = try scanner.readNumber()
            return MetaValue(kind: number.isInteger ? .int : .float,
                             text: symbols.intern(scanner.bytes(number.range)))
        case .bool:
            return try scanner.readBool() ? MetaValue(kind: .bool, text: trueText) : MetaValue(kind: .bool, text: falseText)
        case .null:
            try scanner.readNull()
            return MetaValue(kind: .null, text: nullText)
        case .object, .array:
            let start = scanner.position
            try scanner.skipValue()
            return MetaValue(kind: .other, text: symbols.intern(rawJSON(start..<scanner.position, in: scanner)))
        }
    }
}
