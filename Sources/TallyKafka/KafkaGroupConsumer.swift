import CRdKafka
import TallyThreads

/// A topic partition without an offset: what a consumer group assigns and revokes.
public struct KafkaPartitionID: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }
    public var description: String { "\(topic)[\(partition)]" }
}

/// A consumer that reads what its consumer group assigns it (`subscribe`), for one
/// dedicated thread. Rebalances are served inside `poll`, on the polling thread:
/// `onAssign`/`onRevoke` run there, before `poll` returns, so the caller never has an
/// open transaction while partitions move (it commits each batch before polling again).
///
/// With the default `cooperative-sticky` assignor a rebalance only moves the partitions
/// that change owner (`rd_kafka_incremental_assign`/`_unassign`); an eager assignor
/// (`range`, `roundrobin`) set in the config is served with `rd_kafka_assign` instead.
///
/// Partitions read to their end are parked as by `KafkaConsumer` (EndOfPartitionParking.swift):
/// paused, checked every `fetch.wait.max.ms`, resumed when they grew. A partition given up
/// in a rebalance is resumed before it is unassigned (librdkafka keeps a pause across
/// assignments: it would come back paused), and a seek resumes what it moves.
///
/// Where a newly assigned partition starts: the group's committed offset (for a
/// transactional pipeline, the offsets sent to the last committed transaction), else
/// `auto.offset.reset` (`earliest` by default here: nothing produced before the group
/// existed is skipped).
public final class KafkaGroupConsumer {
    public static let defaults: [String: String] = KafkaConsumer.defaults.merging([
        "partition.assignment.strategy": "cooperative-sticky",
        "auto.offset.reset": "earliest",
    ]) { _, groupValue in groupValue }

    private let client: ConsumerClient
    private let relay: RebalanceRelay
    private let parking: EndOfPartitionParking
    private let reportsEndOfPartition: Bool
    private var isClosed = false
    public let groupID: String

    /// - Parameters:
    ///   - onAssign: partitions newly given to this member (already assigned when called).
    ///   - onRevoke: partitions taken away (`lost` when the member was thrown out of the
    ///     group, e.g. after a missed session timeout: another member may own them already).
    ///     Called before they are unassigned.
    ///   - reportEndOfPartition: report `KafkaPartitionEnd` when an owned partition is
    ///     read to its current end (a stateful reader's idle partitions need it).
    public init(config: KafkaConfig, groupID: String, reportEndOfPartition: Bool = false,
                onAssign: @escaping ([KafkaPartitionID]) -> Void = { _ in },
                onRevoke: @escaping (_ partitions: [KafkaPartitionID], _ lost: Bool) -> Void = { _, _ in }) throws {
        var merged = config.withDefaults(Self.defaults)
        merged["group.id"] = groupID
        merged["enable.partition.eof"] = "true"  // parking needs the events; hidden unless asked for
        self.groupID = groupID
        reportsEndOfPartition = reportEndOfPartition
        let parking = EndOfPartitionParking(config: merged)
        self.parking = parking
        relay = RebalanceRelay(parking: parking, onAssign: onAssign, onRevoke: onRevoke)
        let conf = try merged.makeNative()
        relay.install(on: conf)
        client = ConsumerClient(handle: try makeClient(RD_KAFKA_CONSUMER, conf, context: "creating group consumer for \(groupID)"))
    }

    deinit { close() }

    /// Joins the group for these topics; partitions arrive through `onAssign` during `poll`.
    public func subscribe(_ topics: [String]) throws {
        let list = makePartitionList(topics.map { KafkaTopicPartitionOffset(topic: $0, partition: -1, offset: -1001) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try check(rd_kafka_subscribe(client.handle, list), "subscribe to \(topics) in group \(groupID)")
    }

    /// The partitions this member owns now.
    public var assignment: Set<KafkaPartitionID> { relay.owned }

    /// The owned partitions paused at their end right now (for tests and observation).
    public var parkedPartitions: Set<KafkaPartitionID> { Set(parking.parked.keys) }

    /// Rebalances served since the consumer was made (assignments and revocations).
    public var rebalances: Int { relay.rebalances }

    /// The first error an assign/unassign call reported inside a rebalance, if any.
    public var rebalanceError: KafkaError? { relay.error }

    /// Fills `batch` with records of owned partitions, serving rebalances first.
    @discardableResult
    public func poll(into batch: KafkaRecordBatch, maxRecords: Int? = nil, timeoutMs: Int32) throws -> Int {
        precondition(!isClosed, "KafkaGroupConsumer.poll after close()")
        try batch.fill(from: client, maxRecords: maxRecords ?? batch.capacity, timeoutMs: timeoutMs)
        if let error = relay.error { throw error }
        // An end reported before a revocation served inside this fill is no longer ours to park.
        parking.parkPartitionsAtEnd(of: batch, handle: client.handle) { [relay] in relay.owned.contains($0) }
        parking.resumeMovedPartitions(handle: client.handle, nowMs: monotonicMillis())
        if !reportsEndOfPartition { batch.dropPartitionEnds() }
        return batch.count
    }

    /// The group's identity for `KafkaTransactionalProducer.sendOffsets`: group, member
    /// and generation, so the broker refuses offsets from a member that was rebalanced away.
    public func groupMetadata() throws -> KafkaGroupMetadata {
        guard let pointer = rd_kafka_consumer_group_metadata(client.handle) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__STATE, context: "group metadata of \(groupID)")
        }
        return KafkaGroupMetadata(pointer: pointer)
    }

    /// This member's id in the group (empty before it joined).
    public var memberID: String {
        guard let pointer = rd_kafka_memberid(client.handle) else { return "" }
        defer { rd_kafka_mem_free(client.handle, pointer) }
        return String(cString: pointer)
    }

    /// The offsets committed to the group for these partitions (-1001 where none).
    public func committedOffsets(_ partitions: [KafkaPartitionID], timeoutMs: Int32) throws -> [KafkaTopicPartitionOffset] {
        guard !partitions.isEmpty else { return [] }
        let list = makePartitionList(partitions.map { KafkaTopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: -1001) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        try check(rd_kafka_committed(client.handle, list, timeoutMs), "read committed offsets of group \(groupID)")
        return readPartitionList(list).map(\.0)
    }

    /// Moves every owned partition (or those of `only`) back to the group's committed offset
    /// (or `ifNone` for a partition without one): after an aborted transaction, so that the
    /// records whose output was aborted are read again. Records already fetched are discarded.
    public func rewindToCommitted(only: [KafkaPartitionID]? = nil, ifNone: KafkaOffset = .beginning, timeoutMs: Int32) throws {
        let owned = only ?? Array(relay.owned)
        let committed = try committedOffsets(owned, timeoutMs: timeoutMs)
        guard !committed.isEmpty else { return }
        let list = makePartitionList(committed.map {
            KafkaTopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: $0.offset >= 0 ? $0.offset : ifNone.rawValue)
        })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_seek_partitions(client.handle, list, timeoutMs) {
            throw KafkaError(consuming: error, context: "rewind group \(groupID) to its committed offsets")
        }
        // A parked partition would stay paused at its end, short of the records read again.
        parking.resume(committed.map { KafkaPartitionID(topic: $0.topic, partition: $0.partition) }, handle: client.handle)
        for (entry, err) in readPartitionList(list) where err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(err, context: "rewind \(entry.topic)[\(entry.partition)] to \(entry.offset)")
        }
    }

    /// Moves one owned partition to `offset` (records already fetched from it are discarded).
    public func seek(_ partition: KafkaPartitionID, to offset: KafkaOffset, timeoutMs: Int32) throws {
        let list = makePartitionList([KafkaTopicPartitionOffset(topic: partition.topic, partition: partition.partition,
                                                                offset: offset.rawValue)])
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_seek_partitions(client.handle, list, timeoutMs) {
            throw KafkaError(consuming: error, context: "seek \(partition) to \(offset.rawValue)")
        }
        parking.resume([partition], handle: client.handle)
        for (entry, err) in readPartitionList(list) where err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(err, context: "seek \(entry.topic)[\(entry.partition)] to \(entry.offset)")
        }
    }

    /// Leaves the group (revoking everything through `onRevoke`) and stops. Idempotent;
    /// waits at most `timeoutMs` (see `KafkaConsumer.close`).
    public func close(timeoutMs: Int32 = 5_000) {
        guard !isClosed else { return }
        isClosed = true
        client.close(timeoutMs: timeoutMs) { event in
            // Closing revokes the assignment through the queue: answer it, or the close never completes.
            if rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE, let list = rd_kafka_event_topic_partition_list(event) {
                relay.handle(client.handle, rd_kafka_event_error(event), list)
            }
        }
    }

    var handle: OpaquePointer { client.handle }
}

/// A consumer's group identity (`rd_kafka_consumer_group_metadata_t`), owned.
public final class KafkaGroupMetadata {
    let pointer: OpaquePointer
    init(pointer: OpaquePointer) { self.pointer = pointer }
    deinit { rd_kafka_consumer_group_metadata_destroy(pointer) }
}

/// Receives librdkafka's rebalance callback (through the client's opaque) and applies
/// the assignment change the protocol in use asks for.
final class RebalanceRelay {
    let parking: EndOfPartitionParking
    let onAssign: ([KafkaPartitionID]) -> Void
    let onRevoke: ([KafkaPartitionID], Bool) -> Void
    var owned: Set<KafkaPartitionID> = []
    var rebalances = 0
    var error: KafkaError?

    init(parking: EndOfPartitionParking, onAssign: @escaping ([KafkaPartitionID]) -> Void,
         onRevoke: @escaping ([KafkaPartitionID], Bool) -> Void) {
        self.parking = parking
        self.onAssign = onAssign
        self.onRevoke = onRevoke
    }

    /// The relay must outlive the client made from `conf` (the consumer holds both).
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
            guard let rk, let partitions, let opaque else { return }
            Unmanaged<RebalanceRelay>.fromOpaque(opaque).takeUnretainedValue().handle(rk, err, partitions)
        }
    }

    func handle(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        rebalances += 1
        let cooperative = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) } == "COOPERATIVE"
        let partitions = readPartitionList(list).map { KafkaPartitionID(topic: $0.0.topic, partition: $0.0.partition) }
        if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            if cooperative {
                record(rd_kafka_incremental_assign(rk, list), "incremental assign \(partitions)")
            } else {
                owned.removeAll()
                parking.resumeAll(handle: rk)  // nothing parked survives a revocation; made sure of here
                record(rd_kafka_assign(rk, list), "assign \(partitions)")
            }
            owned.formUnion(partitions)
            onAssign(partitions)
        } else {
            // _REVOKE_PARTITIONS, or an error that also means "give everything back".
            onRevoke(partitions, rd_kafka_assignment_lost(rk) != 0)
            // librdkafka keeps an application's pause across an unassignment: resume what we
            // parked, or the partition comes back paused when it is assigned here again.
            if cooperative {
                parking.resume(partitions, handle: rk)
                record(rd_kafka_incremental_unassign(rk, list), "incremental unassign \(partitions)")
                owned.subtract(partitions)
            } else {
                parking.resumeAll(handle: rk)
                record(rd_kafka_assign(rk, nil), "unassign")
                owned.removeAll()
            }
        }
    }

    private func record(_ result: OpaquePointer?, _ context: String) {
        guard let result else { return }
        let failure = KafkaError(consuming: result, context: context)
        if error == nil { error = failure }
    }

    private func record(_ result: rd_kafka_resp_err_t, _ context: String) {
        if result != RD_KAFKA_RESP_ERR_NO_ERROR, error == nil { error = KafkaError(result, context: context) }
    }
}

extension KafkaRecord {
    /// Identifies the record's topic without making a String: the address of the
    /// consumer's topic object, the same for every record of one topic while the
    /// consumer lives. Map it to the name once (`topic`) and cache.
    public var topicIdentity: UInt { UInt(bitPattern: message.pointee.rkt) }
}
