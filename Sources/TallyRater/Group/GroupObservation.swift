import TallyEngine

/// What `/metrics` shows of a rater in a group: the partitions it owns, rebalances, and
/// restores (done, and in progress: how far the changelog has been read).
public struct GroupObservation: Sendable, Equatable {
    public struct Restoring: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        /// Changelog records still to read (the partition's end minus the next offset).
        public var remaining: Int64
    }

    public var assigned: [Int32]
    public var inputTopic: String
    public var rebalances: Int
    public var restoredRecords: Int
    public var restoreMillis: Int64
    public var restoring: [Restoring]
}

extension GroupRaterService {
    /// A snapshot for `/metrics`, on the thread that runs `run` (its `Options.observe`).
    public func observe() -> RaterObservation {
        var observation = RaterObservation(counters: counters)
        let owned = assigned.compactMap { task(of: $0) }
        observation.openWindows = owned.reduce(0) { $0 + $1.rater.openWindows }
        observation.positions = owned.flatMap(\.rater.positions)
        observation.clocks = owned.flatMap { task in
            task.rater.partitionClocks.map { .init(topic: $0.topic, partition: $0.partition, clock: $0.clock) }
        }
        observation.closingClock = owned.compactMap(\.rater.closingClock).min()
        observation.group = GroupObservation(assigned: assigned, inputTopic: config.inputs.first?.topic ?? "", rebalances: rebalances,
                                             restoredRecords: restoredRecords, restoreMillis: restoreMillis,
                                             restoring: restoringNow.map { .init(topic: $0.topic, partition: $0.partition, remaining: $0.remaining) })
        return observation
    }
}
