/// Which of the run loop's drained partitions (the inputs, and the corrections topic) are
/// read to their end, for `--until-drained`: the run ends once all of them are.
///
/// Marked for every record, so found by the partition, not by a `"topic/partition"` text
/// built and hashed per record: the topic by comparing its name with the last one found (a
/// batch comes a partition at a time), then with the few others; the partition by index.
struct InputEnds {
    private var topics: [String] = []
    /// By topic, then partition: whether it is read to its end; nil for a partition not tracked.
    private var atEnd: [[Bool?]] = []
    private var notAtEnd = 0
    private var lastTopic = 0

    /// Tracks `partition` of `topic`, not at its end.
    mutating func track(_ topic: String, _ partition: Int32) {
        let t = topics.firstIndex(of: topic) ?? { topics.append(topic); atEnd.append([]); return topics.count - 1 }()
        let p = Int(partition)
        if atEnd[t].count <= p { atEnd[t].append(contentsOf: repeatElement(nil, count: p + 1 - atEnd[t].count)) }
        if atEnd[t][p] == nil { notAtEnd += 1 }
        atEnd[t][p] = false
    }

    /// Notes whether `partition` of `topic` is at its end; a partition not tracked is ignored.
    mutating func mark(_ topic: String, _ partition: Int32, atEnd end: Bool) {
        guard let t = index(of: topic), partition >= 0, Int(partition) < atEnd[t].count,
              let was = atEnd[t][Int(partition)], was != end else { return }
        atEnd[t][Int(partition)] = end
        notAtEnd += end ? -1 : 1
    }

    /// Whether there are tracked partitions and every one is at its end.
    var all: Bool { !topics.isEmpty && notAtEnd == 0 }

    private mutating func index(of topic: String) -> Int? {
        if lastTopic < topics.count, topics[lastTopic] == topic { return lastTopic }
        guard let t = topics.firstIndex(of: topic) else { return nil }
        lastTopic = t
        return t
    }
}
