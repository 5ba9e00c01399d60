import TallyCore

extension DecoderState {
    /// Reads one sample object at the scanner into a draft, filling `slots` from the
    /// metadata plan. Problems with the sample's content are recorded in the draft (the
    /// scanner still consumes the whole value, so the record's other samples stay
    /// readable); only malformed JSON throws.
    /// `Q` is the scanner's quoting (see `JSONQuoting`).
    func readSample<Q: JSONQuoting>(_ scanner: inout JSONScanner, _ quoting: Q.Type, schema: SampleSchema, index: Int,
                                    slots: UnsafeMutablePointer<MetaValue>) throws(JSONSyntaxError) -> SampleDraft {
        var draft = SampleDraft()
        let kind = try scanner.peekKind(Q.self)
        guard kind == .object else {
            draft.fail(.schemaViolation, "\(schema.label(index)) is \(kind.name), not an object")
            try scanner.skipValue(Q.self)
            return draft
        }
        try scanner.beginObject(Q.self)
        var first = true
        var shape = ShapeFollower(memberShapes.shape(schema.shapeKind, Q.self), enabled: predictsShapes)
        while true {
            // The member's key as the schema and the plan know it: from the shape when the
            // bytes at the scanner are its next member's, otherwise read and matched.
            let fieldIndex: Int, node: Int
            if let followed = shape.follow(&scanner, Q.self) {
                first = false
                fieldIndex = Int(followed.field)
                node = Int(followed.node)
                if fieldIndex < 0 && node < 0 {
                    try shape.skipFollowedValue(&scanner, Q.self)
                    continue
                }
            } else {
                try shape.leave(scanner)
                let entry = scanner.position
                guard let keySpan = try scanner.nextMember(&first, Q.self) else { break }
                let key = key(keySpan, in: scanner)
                node = readsSampleFields ? trie.child(of: PathTrie.sampleRoot, key: key) : -1
                fieldIndex = schema.fields.lookup(key)
                shape.learn(from: entry, key: keySpan, field: fieldIndex, node: node, in: scanner)
            }
            if node >= 0 {
                // Read the value for the plan, then rewind so the schema reads it too.
                let start = scanner.position
                try capture(node: node, &scanner, Q.self, into: slots)
                scanner.position = start
            }
            guard fieldIndex >= 0, let field = SampleSchema.Field(rawValue: fieldIndex) else {
                try scanner.skipValue(Q.self)
                continue
            }
            draft.seen |= 1 << UInt32(fieldIndex)
            try readField(field, &scanner, Q.self, into: &draft, schema: schema, index: index, slots: slots)
        }
        let missing = schema.required & ~draft.seen  // one test per sample; the loop only for a bad one
        if missing != 0 {
            for field in SampleSchema.Field.allCases where missing & 1 << UInt32(field.rawValue) != 0 {
                draft.fail(.schemaViolation, "\(schema.label(index)) has no \(schema.name(field))")
            }
        }
        return draft
    }

    private func readField<Q: JSONQuoting>(_ field: SampleSchema.Field, _ scanner: inout JSONScanner, _: Q.Type,
                                           into draft: inout SampleDraft,
                           schema: SampleSchema, index: Int,
                           slots: UnsafeMutablePointer<MetaValue>) throws(JSONSyntaxError) {
        let kind = try scanner.peekKind(Q.self)
        func mistyped(_ expected: String) throws(JSONSyntaxError) {
            draft.fail(.schemaViolation,
                       "\(schema.label(index)).\(schema.name(field)) must be \(expected), found \(kind.name)")
            try scanner.skipValue(Q.self)
        }
        switch field {
        case .id:
            guard kind == .string else { return try mistyped("a string") }
            let id = text(try scanner.readString(at: Q.self), in: scanner)
            guard id.count > 0 else { return draft.fail(.schemaViolation, "\(schema.label(index)).\(schema.name(field)) is empty") }
            draft.key = SampleKey.identity(of: id)
        case .metric, .unit, .resource:
            guard kind == .string else { return try mistyped("a string") }
            let bytes = text(try scanner.readString(at: Q.self), in: scanner)
            guard bytes.count > 0 || field == .unit else {
                return draft.fail(.schemaViolation, "\(schema.label(index)).\(schema.name(field)) is empty")
            }
            let symbol = field == .resource ? symbols.intern(bytes) : recentSymbols.intern(bytes)
            switch field {
            case .metric: draft.metric = symbol
            case .unit: draft.unit = symbol
            default: draft.resource = symbol
            }
        case .project, .user:
            var symbol = Symbol.none
            if kind == .null {
                try scanner.readNull()
            } else {
                guard kind == .string else { return try mistyped("a string or null") }
                symbol = recentSymbols.intern(text(try scanner.readString(at: Q.self), in: scanner))
            }
            if field == .project { draft.project = symbol } else { draft.user = symbol }
        case .counterType:
            guard kind == .string else { return try mistyped("a string") }
            let name = text(try scanner.readString(at: Q.self), in: scanner)
            guard let type = CounterType(name: name) else {
                return draft.fail(.unsupportedCounterType, "\(schema.label(index)).\(schema.name(field)) is "
                    + "'\(String(decoding: name, as: UTF8.self))', not gauge, delta or cumulative")
            }
            draft.counterType = type
        case .volume:
            try readVolume(kind, &scanner, Q.self, into: &draft, label: "\(schema.label(index)).\(schema.name(field))")
        case .timestamp:
            guard kind == .string else { return try mistyped("an ISO 8601 string") }
            let stamp = text(try scanner.readString(at: Q.self), in: scanner)
            do throws(TimestampProblem) {
                draft.timestamp = try TimestampParser.parse(stamp)
            } catch {
                draft.fail(.badTimestamp, "\(schema.label(index)).\(schema.name(field)) "
                    + "'\(String(decoding: stamp, as: UTF8.self))': \(error)")
            }
        case .metadata:
            if kind == .null { return try scanner.readNull() }
            guard kind == .object else { return try mistyped("an object or null") }
            if readsMetadata {
                try readMetadata(&scanner, Q.self, resource: draft.resource, into: slots)
            } else {
                try scanner.skipValue(Q.self)
            }
        }
    }

    private func readVolume<Q: JSONQuoting>(_ kind: JSONValueKind, _ scanner: inout JSONScanner, _: Q.Type,
                                            into draft: inout SampleDraft,
                            label: @autoclosure () -> String) throws(JSONSyntaxError) {
        let outcome: VolumeParser.Outcome
        let token: UnsafeRawBufferPointer
        switch kind {
        case .number:
            let number = try scanner.readNumber(Q.self)
            token = scanner.bytes(number.range)
            outcome = VolumeParser.parse(number: token, isInteger: number.isInteger, isNonFinite: number.isNonFinite)
        case .string:
            token = text(try scanner.readString(at: Q.self), in: scanner)
            outcome = VolumeParser.parse(text: token)
        default:
            draft.fail(.schemaViolation, "\(label()) must be a number or a decimal string, found \(kind.name)")
            return try scanner.skipValue(Q.self)
        }
        switch outcome {
        case let .value(volume): draft.volume = volume
        case .negative: draft.fail(.negativeVolume, "\(label()) is negative (\(String(decoding: token, as: UTF8.self)))")
        case .nonFinite: draft.fail(.nonFiniteVolume, "\(label()) is \(String(decoding: token, as: UTF8.self))")
        case .invalid:
            draft.fail(.schemaViolation, "\(label()) '\(String(decoding: token, as: UTF8.self))' is not a decimal "
                + "number of at most 38 significant digits")
        }
    }
}

extension CounterType {
    /// `gauge`, `delta` or `cumulative`, exactly as Ceilometer spells them.
    init?(name: UnsafeRawBufferPointer) {
        if bytesEqual(name, "cumulative") { self = .cumulative }
        else if bytesEqual(name, "gauge") { self = .gauge }
        else if bytesEqual(name, "delta") { self = .delta }
        else { return nil }
    }
}
