import Testing
import TallyCore
@testable import TallyWire

/// Each error names the metric, the field and the line, and says what is wrong.
@Suite struct ConfigErrorTests {
    func single(_ yaml: String) -> MetricsConfigError.Problem? {
        let problems = loadProblems(yaml)
        #expect(problems.count == 1, "\(problems)")
        return problems.first
    }

    @Test(arguments: [
        // (yaml, metric, field, line, message fragment)
        ("metrics:\n  cpu:\n    factor: 2\n", "cpu", "unit", 3, "missing"),
        ("metrics:\n  cpu:\n    unit: ns\n    factor: abc\n", "cpu", "factor", 4, "'abc' is not a decimal number or a fraction"),
        ("metrics:\n  cpu:\n    unit: ns\n    factor: 1/0\n", "cpu", "factor", 4, "divides by zero"),
        ("metrics:\n  cpu:\n    unit: ns\n    offset: x\n", "cpu", "offset", 4, "not a decimal"),
        ("metrics:\n  cpu:\n    unit: ns\n    mutate: ROUND\n", "cpu", "mutate", 4, "unknown mutate 'ROUND'"),
        ("metrics:\n  cpu:\n    unit: ns\n    mutate: MAP\n", "cpu", "mutate_map", 4, "mutate MAP needs a mutate_map"),
        ("metrics:\n  cpu:\n    unit: ns\n    mutate_map: {1: 2}\n", "cpu", "mutate_map", 4, "not MAP"),
        ("metrics:\n  cpu:\n    unit: ns\n    mutate: MAP\n    mutate_map: {a: 2}\n", "cpu", "mutate_map.a", 5, "not a decimal"),
        ("metrics:\n  cpu:\n    unit: ns\n    aggregation: median\n", "cpu", "aggregation", 4, "unknown aggregation 'median'"),
        ("metrics:\n  cpu:\n    unit: ns\n    extra_args: {aggregation_method: std}\n", "cpu", "extra_args.aggregation_method", 4, "unknown aggregation 'std'"),
        ("metrics:\n  cpu:\n    unit: ns\n    period: P2D\n", "cpu", "period", 4, "unsupported period 'P2D'"),
        ("metrics:\n  cpu:\n    unit: ns\n    period: PT7M\n", "cpu", "period", 4, "divides a day"),
        ("metrics:\n  cpu:\n    unit: ns\n    grace: soon\n", "cpu", "grace", 4, "not a duration"),
        ("metrics:\n  cpu:\n    unit: ns\n    retention: P1M\n", "cpu", "retention", 4, "no years or months"),
        ("metrics:\n  cpu:\n    unit: ns\n    scope: domain_id\n", "cpu", "scope", 4, "expected project_id or user_id"),
        ("metrics:\n  cpu:\n    unit: ns\n    price_per_unit: -1\n", "cpu", "price_per_unit", 4, "must not be negative"),
        ("metrics:\n  cpu:\n    unit: ns\n    route_key: tenant\n", "cpu", "route_key", 4, "unknown route_key 'tenant'; expected resource, project or user"),
        ("metrics:\n  cpu:\n    unit: ns\n    scope: user_id\n    route_key: project\n", "cpu", "route_key", 5, "rated per user_id (scope): its tiers are counted per user, so key it by user"),
        ("metrics:\n  cpu:\n    unit: ns\n    route_key: user\n", "cpu", "route_key", 4, "rated per project_id (scope): its tiers are counted per project, so key it by project"),
        ("metrics:\n  cpu:\n    unit: ns\n    route_key: [project]\n", "cpu", "route_key", 4, "expected a value, found a list"),
        ("metrics:\n  cpu:\n    unit: ns\n    price_per_unit: cheap\n", "cpu", "price_per_unit", 4, "not a decimal"),
        ("metrics:\n  cpu:\n    unit: ns\n    colour: red\n", "cpu", "colour", 4, "unknown key"),
        ("metrics:\n  cpu:\n    unit: ns\n    groupby: id\n", "cpu", "groupby", 4, "expected a list"),
        ("metrics:\n  cpu:\n    unit: ns\n    groupby: [id, a..b]\n", "cpu", "groupby[1]", 4, "not a field path"),
        ("metrics:\n  cpu:\n    unit: ns\n    groupby: [flavor]\n    metadata: [flavor]\n", "cpu", "metadata", 5, "both in groupby and in metadata"),
        ("metrics:\n  cpu:\n    unit: ns\n    metadata: [a, a]\n", "cpu", "metadata[1]", 4, "listed twice"),
        ("metrics:\n  cpu:\n    unit: ns\n    metadata:\n      - from: [a]\n", "cpu", "metadata[0].name", 5, "missing"),
        ("metrics:\n  cpu:\n    unit: ns\n    metadata:\n      - {name: f, from: []}\n", "cpu", "metadata[0].from", 5, "at least one path"),
        ("metrics:\n  cpu:\n    unit:\n", "cpu", "unit", 3, "expected a value, found nothing"),
        ("time_zone: Mars/Base\nmetrics:\n  cpu: {unit: ns}\n", nil, "time_zone", 1, "unknown IANA time zone"),
        ("idle_timeout: forever\nmetrics:\n  cpu: {unit: ns}\n", nil, "idle_timeout", 1, "not a duration"),
        ("metric: {}\nmetrics:\n  cpu: {unit: ns}\n", nil, "metric", 1, "unknown top-level key"),
        ("services_objects: {}\nmetrics:\n  cpu: {unit: ns}\n", nil, "services_objects", 1, "pre-v2 metrics format"),
        ("defaults: {period: P3D}\nmetrics:\n  cpu: {unit: ns}\n", nil, "defaults.period", 1, "unsupported period"),
        ("metrics: {}\n", nil, "metrics", 1, "no metric is defined"),
        ("time_zone: UTC\n", nil, "metrics", 1, "missing"),
        ("metrics:\n  cpu: {unit: ns}\n  cpu: {unit: s}\n", nil, "cpu", 2, "duplicate key"),
        ("metrics:\n  cpu: {unit: ns\n", nil, "(file)", 3, "not valid YAML"),
    ] as [(String, String?, String, Int, String)])
    func reportsTheMetricFieldAndLine(yaml: String, metric: String?, field: String, line: Int, fragment: String) {
        guard let problem = single(yaml) else { return }
        #expect(problem.metric == metric)
        #expect(problem.field == field)
        #expect(problem.line == line)
        #expect(problem.message.contains(fragment), "\(problem.message)")
    }

    @Test func reportsEveryProblemAtOnce() {
        let problems = loadProblems("""
        metrics:
          cpu:
            unit: ns
            factor: x
          memory:
            aggregation: nope
        """)
        #expect(problems.map(\.field) == ["factor", "unit", "aggregation"])
        #expect(problems.map(\.metric) == ["cpu", "memory", "memory"])
    }

    @Test func notYamlAtAll() {
        let problems = loadProblems("metrics: [unclosed\n")
        #expect(problems.count == 1)
        #expect(problems.first?.message.hasPrefix("not valid YAML") == true)
    }

    @Test func errorTextNamesFileLineMetricAndField() {
        let error = MetricsConfigError(file: "/etc/tally/metrics.yaml", problems: [
            .init(metric: "cpu", field: "factor", line: 4, column: 13, message: "'abc' is not a decimal number"),
        ])
        #expect(error.description == """
        invalid metrics configuration /etc/tally/metrics.yaml (1 problem):
          line 4, column 13: metric 'cpu', field 'factor': 'abc' is not a decimal number
        """)
    }
}
