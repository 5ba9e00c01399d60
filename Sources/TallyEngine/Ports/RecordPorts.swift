/// One consumed input record. Its bytes are valid only during the callback
/// that receives it (they point into librdkafka's message).
public struct InputRecord {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: UnsafeRawBufferPointer?
    public var value: UnsafeRawBufferPointer
    /// The value of the record's `tally-format` header (`InputFormat.headerName`), set by
    /// `tally route` on the records it routes: the format of these bytes, whatever the
    /// topic's configured format is. `nil` for a record without it (decoded as configured).
    public var formatHeader: UnsafeRawBufferPointer?
    public init(topic: String, partition: Int32, offset: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer,
                formatHeader: UnsafeRawBufferPointer? = nil) {
        self.topic = topic; self.partition = partition; self.offset = offset; self.key = key; self.value = value
        self.formatHeader = formatHeader
    }
}

/// Where a partition's reading resumes.
public struct PartitionPosition: Hashable, Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic; self.partition = partition; self.offset = offset
    }
}

/// A message the engine wants sent: a frame or a dead letter. `token` is the
/// outbox sequence number; the engine forgets the entry once it is acknowledged.
public struct OutgoingMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var key: [UInt8]
    public var value: [UInt8]
    public var token: UInt64

    public init(topic: String, partition: Int32, key: [UInt8], value: [UInt8], token: UInt64) {
        self.topic = topic; self.partition = partition; self.key = key; self.value = value; self.token = token
    }
}
