import Testing
import TallyCore
@testable import TallyWire

@Suite struct MetadataPlanTests {
    static func metadata(_ plan: MetadataPlan, _ metadataJSON: String, extra: [String: String] = [:]) throws -> [Decoded] {
        let outcome = decodeCeilometer(Ceilometer.record([Ceilometer.sample(extra, metadata: metadataJSON)]), plan: plan)
        #expect(outcome.error == nil && outcome.rejections.isEmpty)
        return outcome.samples
    }

    @Test func firstAlternativeWinsWhateverTheKeyOrder() throws {
        let plan = try MetadataPlan(keys: [
            MetadataKeySpec("flavor_name", alternatives: ["flavor_name", "flavor.name", "instance_type"]),
        ])
        let reversed = try Self.metadata(plan, #"{"instance_type": "third", "flavor": {"name": "second"}, "flavor_name": "first"}"#)
        #expect(reversed.first?.metadata[0].text == "first")
        let noTopLevel = try Self.metadata(plan, #"{"instance_type": "third", "flavor": {"id": "4", "name": "second"}}"#)
        #expect(noTopLevel.first?.metadata[0].text == "second")
        let onlyLast = try Self.metadata(plan, #"{"instance_type": "third", "flavor": "not-an-object"}"#)
        #expect(onlyLast.first?.metadata[0].text == "third")
        let none = try Self.metadata(plan, #"{"other": 1}"#)
        #expect(none.first?.metadata[0].kind == .absent)
    }

    @Test func valueKindsAndText() throws {
        let plan = try MetadataPlan(keys: ["i", "f", "e", "t", "n", "s", "o", "a", "u"].map { MetadataKeySpec($0) })
        let sample = try #require(try Self.metadata(plan,
            #"{"i": 8, "f": 8.0, "e": 6.4e1, "t": true, "n": null, "s": "caf\u00e9", "o": {"k": [1, 2]}, "a": [ "x" ], "u": false}"#
        ).first)
        let values = sample.metadata
        #expect(values.map(\.kind) == [.int, .float, .float, .bool, .null, .string, .other, .other, .bool])
        #expect(values.map(\.text) == ["8", "8.0", "6.4e1", "true", "null", "café", #"{"k": [1, 2]}"#, #"[ "x" ]"#, "false"])
    }

    @Test func samePathForTwoKeysAndObjectWithChildren() throws {
        let plan = try MetadataPlan(keys: [
            MetadataKeySpec("flavor", alternatives: ["flavor"]),
            MetadataKeySpec("flavor_name", alternatives: ["flavor.name"]),
            MetadataKeySpec("name", alternatives: ["flavor.name"]),
            MetadataKeySpec("deep", alternatives: ["a.b.c"]),
        ])
        let sample = try #require(try Self.metadata(plan, #"{"flavor": {"name": "m1.large", "ram": 8192}, "a": {"b": {"c": 3}}}"#).first)
        #expect(sample.metadata.map(\.text) == [#"{"name": "m1.large", "ram": 8192}"#, "m1.large", "m1.large", "3"])
    }

    @Test func sampleLevelFieldsViaAt() throws {
        let plan = try MetadataPlan(keys: [
            MetadataKeySpec("project_name", alternatives: ["@project_name"]),
            MetadataKeySpec("source", alternatives: ["@source"]),
            MetadataKeySpec("host"),
        ])
        let sample = try #require(try Self.metadata(plan, #"{"host": "cmp-01"}"#,
                                                    extra: ["project_name": #""\u00e9quipe""#]).first)
        #expect(sample.metadata.map(\.text) == ["équipe", "openstack", "cmp-01"])
        #expect(sample.metric == "cpu")  // the schema still read the sample after the plan peeked at it
    }

    @Test func metadataNullOrMissingLeavesSlotsAbsent() throws {
        let plan = try MetadataPlan(keys: [MetadataKeySpec("host")])
        #expect(try Self.metadata(plan, "null").first?.metadata[0].kind == .absent)
        #expect(try Self.metadata(plan, "{}", extra: ["resource_metadata": "<omit>"]).first?.metadata[0].kind == .absent)
    }

    @Test func planConstruction() throws {
        #expect(throws: MetadataPlanError.duplicateKey("a")) {
            try MetadataPlan(keys: [MetadataKeySpec("a"), MetadataKeySpec("a", alternatives: ["b"])])
        }
        let path = MetadataPath(parsing: "@project_name")
        #expect(path.root == .sample && path.components == ["project_name"])
        #expect(MetadataPath(parsing: "flavor.name").components == ["flavor", "name"])
        #expect(MetadataPath(parsing: "flavor.name").description == "flavor.name")
        let plan = try MetadataPlan(keys: [MetadataKeySpec("x"), MetadataKeySpec("y")])
        #expect(plan.slot(named: "y") == 1 && plan.slot(named: "z") == nil && plan.count == 2)
    }

    @Test func groupbyFieldsResolveFromTheSample() throws {
        let sample = try #require(decodeCeilometer(Ceilometer.record([Ceilometer.sample()])).samples.first)
        #expect(SampleField(configName: "id") == .id)
        #expect(SampleField(configName: "counter_name") == .metric)
        #expect(SampleField(configName: "flavor_name") == nil)
        #expect(sample.symbols.string(sample.project) == "p-1")
        #expect(sample.symbols.string(sample.user) == "u-1")
    }
}
