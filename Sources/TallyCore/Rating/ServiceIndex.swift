/// One service's hashmap rules in force for one (epoch, scope), laid out for rating
/// without reference counting: every table is a buffer of trivial values owned by this
/// immutable object (freed in `deinit`), and texts are bytes in one arena. Group numbers
/// index `groupNames`; rule numbers index `ruleIDs`.
final class ServiceIndex {
    /// A field with rules, in declaration order (the matching order).
    struct Field {
        var name: Range<Int32>            // in `text`
        var slots: Range<Int32>           // its value hash table in `slots` (empty: no mappings)
        var thresholds: Range<Int32>      // in `thresholds`
        var number: Int32                 // in `fieldNames`
    }

    /// A value's hash-table slot: the value text and its run of mappings.
    struct Slot {
        var hash: UInt64 = 0
        var key: Range<Int32> = 0..<0     // in `text`
        var run: Range<Int32> = 0..<0     // in `mappings`
        var used = false
    }

    let groupNames: [String?]
    let ruleIDs: [String]
    let fieldNames: [String]
    let serviceMappings: Range<Int>
    let serviceThresholds: Range<Int>
    let mappings: UnsafeMutableBufferPointer<CompiledMapping>
    let thresholds: UnsafeMutableBufferPointer<CompiledThreshold>
    let fields: UnsafeMutableBufferPointer<Field>
    let slots: UnsafeMutableBufferPointer<Slot>
    let text: UnsafeMutableRawBufferPointer

    init(_ b: Builder, groupNames: [String?], ruleIDs: [String]) {
        self.groupNames = groupNames
        self.ruleIDs = ruleIDs
        self.fieldNames = b.fieldNames
        self.serviceMappings = 0..<b.serviceMappings.count
        self.serviceThresholds = 0..<b.serviceThresholds.count
        mappings = Self.copy(b.serviceMappings + b.fieldMappings)
        thresholds = Self.copy(b.serviceThresholds + b.fieldThresholds)
        fields = Self.copy(b.fields)
        slots = Self.copy(b.slots)
        text = UnsafeMutableRawBufferPointer.allocate(byteCount: max(b.text.count, 1), alignment: 8)
        text.copyBytes(from: b.text)
    }

    deinit {
        mappings.deallocate(); thresholds.deallocate(); fields.deallocate(); slots.deallocate(); text.deallocate()
    }

    private static func copy<T>(_ items: [T]) -> UnsafeMutableBufferPointer<T> {
        // Allocate at least one element so the base address exists; expose exactly `count`.
        let storage = UnsafeMutableBufferPointer<T>.allocate(capacity: max(items.count, 1))
        _ = storage.initialize(from: items)
        return UnsafeMutableBufferPointer(start: storage.baseAddress, count: items.count)
    }

    @inline(__always) func bytes(_ range: Range<Int32>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: text[Int(range.lowerBound)..<Int(range.upperBound)])
    }

    /// The mappings of `field` whose value text is `value`.
    @inline(__always) func run(_ field: Field, value: UnsafeRawBufferPointer) -> Range<Int32>? {
        let size = field.slots.count
        if size == 0 { return nil }
        let h = ByteText.hash(value)
        var i = Int(truncatingIfNeeded: h) & (size - 1)
        while true {
            let slot = slots[Int(field.slots.lowerBound) + i]
            if !slot.used { return nil }
            if slot.hash == h && ByteText.equal(bytes(slot.key), value) { return slot.run }
            i = (i + 1) & (size - 1)
        }
    }

    /// Collects the tables before they are frozen into buffers.
    struct Builder {
        var serviceMappings: [CompiledMapping] = []
        var serviceThresholds: [CompiledThreshold] = []
        var fieldMappings: [CompiledMapping] = []
        var fieldThresholds: [CompiledThreshold] = []
        var fields: [Field] = []
        var fieldNames: [String] = []
        var slots: [Slot] = []
        var text: [UInt8] = []

        mutating func addText(_ s: String) -> Range<Int32> {
            let start = Int32(text.count)
            text.append(contentsOf: s.utf8)
            return start..<Int32(text.count)
        }

        mutating func addField(name: String, byValue: [(String, [CompiledMapping])], thresholds: [CompiledThreshold]) {
            let nameRange = addText(name)
            var size = byValue.isEmpty ? 0 : 4
            while size < byValue.count * 2 { size <<= 1 }
            let slotStart = slots.count
            slots += Array(repeating: Slot(), count: size)
            let mappingBase = serviceMappings.count + fieldMappings.count
            var offset = Int32(mappingBase)
            for (value, list) in byValue {
                let key = addText(value)
                let h = text.withUnsafeBytes { ByteText.hash(UnsafeRawBufferPointer(rebasing: $0[Int(key.lowerBound)..<Int(key.upperBound)])) }
                var i = Int(truncatingIfNeeded: h) & (size - 1)
                while slots[slotStart + i].used { i = (i + 1) & (size - 1) }
                slots[slotStart + i] = Slot(hash: h, key: key, run: offset..<(offset + Int32(list.count)), used: true)
                offset += Int32(list.count)
                fieldMappings += list
            }
            let thresholdStart = Int32(serviceThresholds.count + fieldThresholds.count)
            fieldThresholds += thresholds
            fields.append(Field(name: nameRange, slots: Int32(slotStart)..<Int32(slotStart + size),
                                thresholds: thresholdStart..<Int32(serviceThresholds.count + fieldThresholds.count),
                                number: Int32(fieldNames.count)))
            fieldNames.append(name)
        }
    }
}
