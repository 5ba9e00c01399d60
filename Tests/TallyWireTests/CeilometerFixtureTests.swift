import Testing
import TallyCore
@testable import TallyWire

@Suite struct CeilometerFixtureTests {
    static let plan = try! MetadataPlan(keys: [
        MetadataKeySpec("flavor_name", alternatives: ["flavor_name", "flavor.name", "instance_type"]),
        MetadataKeySpec("volume_type"),
        MetadataKeySpec("flavor", alternatives: ["flavor"]),
        MetadataKeySpec("vcpus"),
        MetadataKeySpec("project_name", alternatives: ["@project_name"]),
    ])

    /// Every fixture record, decoded with one decoder (as a partition worker would).
    static func decodeAll() -> (samples: [Decoded], rejections: [SampleRejection], errors: [RecordDecodeError],
                                symbols: SymbolTable) {
        let symbols = SymbolTable()
        let decoder = CeilometerDecoder(symbols: symbols, plan: plan)
        var samples: [Decoded] = []
        var rejections: [SampleRejection] = []
        var errors: [RecordDecodeError] = []
        for record in Fixture.records {
            let outcome = decodeRecord(record, with: { (r, e, j) throws(RecordDecodeError) in
                try decoder.decode(r, emit: e, reject: j)
            }, symbols: symbols)
            samples += outcome.samples
            rejections += outcome.rejections
            if let error = outcome.error { errors.append(error) }
        }
        return (samples, rejections, errors, symbols)
    }

    @Test func decodesEveryRecordWithTheReadmeCounts() {
        #expect(Fixture.records.count == 488)
        let (samples, rejections, errors, _) = Self.decodeAll()
        #expect(errors.isEmpty, "\(errors.prefix(3))")
        #expect(rejections.isEmpty, "\(rejections.prefix(3))")
        #expect(samples.count == 1254)
        #expect(Set(samples.map(\.key)).count == 1251)
        var perMetric: [String: Int] = [:]
        for sample in samples { perMetric[sample.metric, default: 0] += 1 }
        #expect(perMetric == [
            "cpu": 147, "vcpus": 199, "memory": 199, "network.incoming.bytes": 189, "network.outgoing.bytes": 191,
            "instance": 53, "disk.root.size": 53, "disk.ephemeral.size": 53, "compute.instance.booting.time": 1,
            "volume.size": 104, "image.size": 65,
        ])
    }
}
