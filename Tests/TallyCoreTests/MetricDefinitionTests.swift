import Testing
@testable import TallyCore

@Suite struct MetricDefinitionTests {
    func metric(factor: String = "1", offset: String = "0", mutation: Mutation = .none) -> MetricDefinition {
        MetricDefinition(key: "image.size", unit: "MiB", factor: dec(factor), offset: dec(offset), mutation: mutation,
                         period: Period.parse("PT1H", zone: .utc)!, grace: .minutes(15), retention: .days(7))
    }

    @Test func convertsThenMutates() {
        // CloudKitty: mutate(qty * factor + offset).
        #expect(metric(factor: "0.5", offset: "0.3", mutation: .ceil).ratedQuantity(fromAggregate: dec("3")) == dec("2"))
        #expect(metric(factor: "0.5", offset: "0.3", mutation: .floor).ratedQuantity(fromAggregate: dec("3")) == dec("1"))
        #expect(metric(factor: "2", offset: "-1").ratedQuantity(fromAggregate: dec("0.5")) == .zero)
        #expect(metric(offset: "-1", mutation: .numbool).ratedQuantity(fromAggregate: dec("1")) == .zero)
    }

    @Test func mutations() {
        #expect(Mutation.numbool.apply(to: dec("0.0001")) == .one)
        #expect(Mutation.numbool.apply(to: dec("0.000")) == .zero)
        #expect(Mutation.notnumbool.apply(to: dec("0")) == .one)
        #expect(Mutation.notnumbool.apply(to: dec("-3")) == .zero)
        #expect(Mutation.floor.apply(to: dec("-2.5")) == dec("-3"))
        #expect(Mutation.floor.apply(to: dec("2.999")) == dec("2"))
        #expect(Mutation.floor.apply(to: dec("-0.000000000000000000000000000000000000000001")) == dec("-1"))
        #expect(Mutation.ceil.apply(to: dec("-2.5")) == dec("-2"))
        #expect(Mutation.ceil.apply(to: dec("2.001")) == dec("3"))
        #expect(Mutation.ceil.apply(to: dec("7")) == dec("7"))
        let map = Mutation.map([MutationMapEntry(key: dec("1"), value: dec("0.5")), MutationMapEntry(key: dec("2"), value: dec("3"))])
        #expect(map.apply(to: dec("1.00")) == dec("0.5"))
        #expect(map.apply(to: dec("2")) == dec("3"))
        #expect(map.apply(to: dec("4")) == .zero)
    }

    @Test func fieldPaths() {
        #expect(FieldSource(path: "flavor.name") == .metadata(["flavor", "name"]))
        #expect(FieldSource(path: "id") == .resourceId)
        #expect(FieldSource(path: "user_id") == .userId)
        #expect(FieldSource(path: "flavor..name") == nil)
        #expect(FieldSource(path: ".name") == nil)
    }

    @Test func aggregationNames() {
        for aggregation in Aggregation.allCases {
            #expect(Aggregation(configName: aggregation.configName) == aggregation)
        }
        #expect(Aggregation(configName: "mean") == .avg)
        #expect(Aggregation(configName: "rate:mean") == .increase)
        #expect(Aggregation(configName: "median") == nil)
    }

    @Test func configLooksUpMetricsByKey() {
        let config = MetricsConfig(metrics: [metric()], timeZone: .utc, idleTimeout: .minutes(5), maxFutureSkew: .minutes(10))!
        #expect(config.index(ofMetric: "image.size") == 0)
        #expect(config.metric(named: "cpu") == nil)
        #expect(config.billingCycle == Period.month(in: .utc))
        #expect(MetricsConfig(metrics: [metric(), metric()], timeZone: .utc, idleTimeout: .zero, maxFutureSkew: .zero) == nil)
    }
}
