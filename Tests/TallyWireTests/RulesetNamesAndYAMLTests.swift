import Testing
import TallyCore
@testable import TallyWire

/// Issue 9 item 4: unknown services and fields in a rules file are errors naming
/// file:line (checked against the metrics configuration), and the YAML that
/// `tally rules show` prints reads back to the same rules.
struct RulesetNamesAndYAMLTests {
    static let metrics = """
    metrics:
      instance:
        unit: instance
        aggregation: max
        period: PT1H
        groupby: [id, project_id, {name: flavor_name, from: [flavor_name, flavor.name]}]
        metadata: [image_id]
      volume.size: {unit: GiB, aggregation: max, period: PT1H, metadata: [volume_type]}
      network.outgoing.bytes: {alt_name: egress, unit: B, aggregation: increase, period: PT1H}

    """

    @Test func typosInServiceAndFieldNamesAreErrorsAtTheirLines() throws {
        let config = try MetricsConfigLoader.load(yaml: Self.metrics)
        let yaml = """
        version: 1
        services:
          instanse:
            mappings:
              - {id: base, type: flat, cost: 1}
          instance:
            fields:
              flavour_name:
                mappings:
                  - {id: small, value: m1.small, type: flat, cost: 1}
              image_id:
        tiers:
          - {id: out, service: egres, mode: graduated, tiers: [{unit_price: 1}]}

        """
        do {
            _ = try RulesetFile.parse(yaml: yaml, file: "rules.yaml", checkedAgainst: config)
            Issue.record("unknown names were accepted")
        } catch let error as RulesetFileError {
            let lines = error.problems.map(\.description)
            #expect(lines.count == 3, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("rules.yaml:3:") && $0.contains("unknown service 'instanse'") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("rules.yaml:8:") && $0.contains("unknown field 'flavour_name'") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("rules.yaml:13:") && $0.contains("unknown service 'egres'") }, "\(lines)")
        }
        // The same names spelled right pass, alt_name included.
        let fixed = yaml.replacingOccurrences(of: "instanse", with: "volume.size")
            .replacingOccurrences(of: "flavour_name", with: "flavor_name").replacingOccurrences(of: "egres,", with: "egress,")
        #expect(throws: Never.self) { try RulesetFile.parse(yaml: fixed, file: "rules.yaml", checkedAgainst: config) }
    }

    @Test func showYAMLReadsBackToTheSameRules() throws {
        var rules = try RulesetFile.parse(yaml: RulesetFileTests.exampleText)
        rules.mappings.append(HashMapping(id: "odd \"quoted\": 8", service: "compute", field: "flavor", value: "8",
                                          type: .rate, cost: ExactDecimal("1.50")!, group: nil, tenant: "t-1",
                                          validity: RuleValidity(start: EventTime(micros: 1_767_225_600_123_456),
                                                                 end: EventTime(micros: 1_767_225_700_000_000))))
        let yaml = RulesetYAML.encode(rules)
        let back = try RulesetFile.parse(yaml: yaml, file: "show.yaml")
        #expect(back.contentHash == rules.contentHash, "\(yaml)")
        #expect(RulesetYAML.encode(back) == yaml)
    }
}
