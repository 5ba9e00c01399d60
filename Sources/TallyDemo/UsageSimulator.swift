import TallyCore
import TallySeededRandom

/// A small cloud, simulated deterministically from a seed: projects with
/// instances (flavours, one resized mid-run, reboots that reset counters),
/// volumes (types, one extended) and network traffic, polled every few minutes
/// the way Ceilometer's pollsters are. Used by the demo, the end-to-end and crash
/// tests (which compute their expected bills from `samples` independently) and
/// the benchmark.
public struct UsageSimulator {
    public struct Sample: Sendable {
        public var id: String
        public var metric: String
        public var type: String
        public var unit: String
        /// Decimal text, exactly as it is written into the record.
        public var volume: String
        public var timestamp: EventTime
        public var project: String
        public var user: String
        public var resource: String
        /// (key, JSON text) pairs of `resource_metadata`.
        public var metadata: [(String, String)]

        public init(id: String, metric: String, type: String, unit: String, volume: String, timestamp: EventTime,
                    project: String, user: String, resource: String, metadata: [(String, String)]) {
            self.id = id; self.metric = metric; self.type = type; self.unit = unit; self.volume = volume
            self.timestamp = timestamp; self.project = project; self.user = user; self.resource = resource
            self.metadata = metadata
        }
    }

    public struct Instance {
        public var id: String
        public var name: String
        public var project: Int
        public var flavors: [(from: EventTime, flavor: String, vcpus: Int)]
        public var reboots: [EventTime]
    }

    public struct Volume {
        public var id: String
        public var project: Int
        public var type: String
        public var sizes: [(from: EventTime, gib: Int)]
    }

    public let projects: [(id: String, name: String, user: String)]
    public let instances: [Instance]
    public let volumes: [Volume]
    public let start: EventTime
    public let hours: Int
    public let pollMinutes: Int

    public init(seed: UInt64, start: EventTime, hours: Int = 24, projects projectCount: Int = 3,
                instancesPerProject: Int = 3, volumesPerProject: Int = 2, pollMinutes: Int = 10) {
        var rng = SplitMix64(seed: seed)
        self.start = start
        self.hours = hours
        self.pollMinutes = pollMinutes
        let names = ["aurora", "boreal", "cobalt", "dorado", "equinox", "fjord", "gale", "helix"]
        projects = (0..<projectCount).map { p in
            (rng.hex(32), "\(names[p % names.count])-\(p / names.count + 1)", rng.hex(32))
        }
        let flavors = [("m1.small", 1), ("m1.medium", 2), ("m1.large", 4)]
        let span = Int64(hours) * 3_600_000_000
        var instances: [Instance] = []
        for p in 0..<projectCount {
            for i in 0..<instancesPerProject {
                let f = flavors[Int(rng.next() % 3)]
                var instance = Instance(id: rng.uuid(), name: "\(names[p % names.count])-vm-\(i)", project: p,
                                        flavors: [(start, f.0, f.1)], reboots: [])
                if i == 0 {
                    // A resize half-way: the flavour changes mid-day.
                    let bigger = flavors[min(flavors.firstIndex { $0.0 == f.0 }! + 1, 2)]
                    instance.flavors.append((start + TimeSpan(micros: span / 2 + 1_380_000_000), bigger.0, bigger.1))
                }
                if i == 1 { instance.reboots.append(start + TimeSpan(micros: span / 3 + 420_000_000)) }
                instances.append(instance)
            }
        }
        self.instances = instances
        let types = ["SSD_gold", "SSD_silver", "HDD_bronze"]
        var volumes: [Volume] = []
        for p in 0..<projectCount {
            for v in 0..<volumesPerProject {
                let gib = [10, 20, 50, 100][Int(rng.next() % 4)]
                var volume = Volume(id: rng.uuid(), project: p, type: types[Int(rng.next() % 3)], sizes: [(start, gib)])
                if v == 0 { volume.sizes.append((start + TimeSpan(micros: span / 4), gib * 2)) }
                volumes.append(volume)
            }
        }
        self.volumes = volumes
    }

    /// Every sample of the run, in time order.
    public func samples() -> [Sample] {
        var out: [Sample] = []
        var rng = SplitMix64(seed: 7)
        let step = Int64(pollMinutes) * 60_000_000
        let polls = Int64(hours) * 60 / Int64(pollMinutes)
        var cpu: [String: Int64] = [:]
        var egress: [String: Int64] = [:]
        for n in 0..<polls {
            // Pollsters run a little after the minute, with microseconds, like Ceilometer's.
            let t = start + TimeSpan(micros: n * step + 16_046_321 + Int64(rng.next() % 1_000_000))
            for vm in instances {
                let project = projects[vm.project]
                let flavor = vm.flavors.last { $0.from <= t }!
                let rebooted = vm.reboots.contains { $0 <= t && t - $0 < TimeSpan(micros: step) }
                if rebooted { cpu[vm.id] = 0; egress[vm.id] = 0 }
                cpu[vm.id, default: 1_000_000_000_000] += Int64(flavor.vcpus) * 30_000_000_000 + Int64(rng.next() % 5_000_000_000)
                egress[vm.id, default: 5_000_000] += Int64(rng.next() % 300_000_000)
                let meta: [(String, String)] = [
                    ("display_name", "\"\(vm.name)\""), ("instance_type", "\"\(flavor.flavor)\""),
                    ("flavor", "{\"name\": \"\(flavor.flavor)\", \"vcpus\": \(flavor.vcpus)}"),
                    ("vcpus", "\(flavor.vcpus)"), ("status", "\"active\""),
                ]
                func add(_ metric: String, _ type: String, _ unit: String, _ volume: String) {
                    out.append(Sample(id: rng.uuid(), metric: metric, type: type, unit: unit, volume: volume, timestamp: t,
                                      project: project.id, user: project.user, resource: vm.id, metadata: meta))
                }
                add("instance", "gauge", "instance", "1")
                add("vcpus", "gauge", "vcpu", "\(flavor.vcpus)")
                add("cpu", "cumulative", "ns", "\(cpu[vm.id]!)")
                add("network.outgoing.bytes", "cumulative", "B", "\(egress[vm.id]!)")
            }
            for volume in volumes {
                let project = projects[volume.project]
                let size = volume.sizes.last { $0.from <= t }!
                out.append(Sample(id: rng.uuid(), metric: "volume.size", type: "gauge", unit: "GiB", volume: "\(size.gib)",
                                  timestamp: t, project: project.id, user: project.user, resource: volume.id,
                                  metadata: [("volume_type", "\"\(volume.type)\""), ("status", "\"in-use\"")]))
            }
        }
        return out
    }
}

/// The demo draws from the project's one seeded generator (`TallySeededRandom.SplitMix64`,
/// shared with the property tests), so runs are reproducible; these two draws shape the
/// identifiers it makes up.
extension SplitMix64 {
    mutating func hex(_ n: Int) -> String {
        var s = ""
        while s.count < n { s += String(next(), radix: 16).leftPadded(16) }
        return String(s.prefix(n))
    }
    public mutating func uuid() -> String {
        let h = hex(32)
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-4" + String(c[13..<16]) + "-a" + String(c[17..<20]) + "-" + String(c[20..<32])
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
