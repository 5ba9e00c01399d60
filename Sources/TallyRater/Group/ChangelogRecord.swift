import TallyEngine

/// One state change of a group task as it travels on the changelog topic
/// (docs/SCALE.md): key = the table's number + the state key; value = 0x01 + the new
/// value, or no value at all (a tombstone, which compaction keeps last and then drops)
/// for a delete. The leading byte keeps an empty stored value apart from a delete.
enum ChangelogRecord {
    static let putMarker: UInt8 = 1

    static func key(_ table: StateTable, _ key: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(key.count + 1)
        out.append(UInt8(table.rawValue))
        out.append(contentsOf: key)
        return out
    }

    static func value(_ value: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(value.count + 1)
        out.append(putMarker)
        out.append(contentsOf: value)
        return out
    }

    /// The change a changelog record stands for; throws on a record this version did not write.
    static func decode(key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer, offset: Int64)
        throws -> (table: StateTable, key: [UInt8], value: [UInt8]?) {
        guard let key, key.count >= 1, let table = StateTable(rawValue: Int(key[0])), table != .outbox else {
            throw GroupModeError("changelog offset \(offset): not a state key of this version")
        }
        if value.isEmpty { return (table, Array(key.dropFirst()), nil) }
        guard value[0] == putMarker else {
            throw GroupModeError("changelog offset \(offset): value does not start with the put marker")
        }
        return (table, Array(key.dropFirst()), Array(value.dropFirst()))
    }

    /// The meta key of a task's cache stamp: the last changelog offset its LMDB state includes.
    static let stampKey = Array("changelog_stamp".utf8)
}
