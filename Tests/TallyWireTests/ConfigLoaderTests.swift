import Foundation
import Testing
import TallyCore
@testable import TallyWire

func loadProblems(_ yaml: String) -> [MetricsConfigError.Problem] {
    do {
        _ = try MetricsConfigLoader.load(yaml: yaml)
        return []
    } catch let error as MetricsConfigError {
        return error.problems
    } catch {
        return [.init(metric: nil, field: "?", line: nil, column: nil, message: "\(error)")]
    }
}

@Suite struct ConfigLoaderTests {
    static let examplePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../schemas/examples/metrics.example.yaml").standardized.path

    @Test func loadsTheRealisticExample() throws {
        let config = try MetricsConfigLoader.load(contentsOf: Self.examplePath)
        #expect(config.timeZone.identifier == "Europe/Paris")
        #expect(config.idleTimeout == .minutes(5))
        #expect(config.maxFutureSkew == .minutes(10))
        #expect(config.metrics.map(\.key) == ["cpu", "vcpus", "instance", "volume.size", "image.size", "network.outgoing.bytes"])

        let cpu = try #require(config.metric(named: "cpu"))
        #expect(cpu.aggregation == .increase)
        #expect(cpu.serviceName == "cpu_time")
        #expect(cpu.factor == ExactDecimal("0.000000001")!)
        #expect(cpu.period.description == "PT1H")
        #expect(cpu.grace == .minutes(15))
        #expect(cpu.retention == .days(7))
        #expect(cpu.groupby.map(\.sources) == [[.resourceId], [.userId], [.projectId]])
        #expect(cpu.metadata == [FieldSpec(name: "flavor_name", sources: [.metadata(["flavor_name"]),
                                                                       .metadata(["flavor", "name"]),
                                                                       .metadata(["instance_type"])])])
        #expect(config.metric(named: "vcpus")?.pricePerUnit == ExactDecimal("0.012"))
        #expect(config.metric(named: "instance")?.mutation == .numbool)
        #expect(config.metric(named: "instance")?.aggregation == .max)

        let volume = try #require(config.metric(named: "volume.size"))
        #expect(volume.period == .day(in: config.timeZone))
        #expect(volume.grace == .hours(1))
        #expect(volume.retention == .days(35))

        let image = try #require(config.metric(named: "image.size"))
        #expect(image.period == .month(in: config.timeZone))
        #expect(image.ratedQuantity(fromAggregate: ExactDecimal(1_048_577)) == ExactDecimal(2))
        #expect(config.metric(named: "network.outgoing.bytes")?.scope == .userId)
        #expect(config.metric(named: "cpu")?.scope == .projectId)
        #expect(config.index(ofMetric: "disk.root.size") == nil)
    }

    /// CloudKitty's own metrics.yml form, as shipped in its etc/ directory (abridged).
    @Test func acceptsCloudKittyMetricsYml() throws {
        let yaml = """
        metrics:
          cpu:
            unit: instance
            alt_name: instance
            groupby:
              - id
              - user_id
              - project_id
            metadata:
              - flavor_name
              - flavor_id
              - vcpus
            mutate: NUMBOOL
            extra_args:
              aggregation_method: mean
              resource_type: instance
              force_granularity: 300

          image.size:
            unit: MiB
            factor: 1/1048576
            groupby:
              - id
              - user_id
              - project_id
            metadata:
              - container_format
              - disk_format
            extra_args:
              aggregation_method: mean
              resource_type: image

          radosgw.objects.size:
            unit: GiB
            groupby: [id, user_id, project_id]
            factor: 1/1073741824
            extra_args:
              aggregation_method: rate:mean

          instance.status:
            unit: instance
            mutate: MAP
            mutate_map:
              0: 1.0
              1: 0.5
            offset: 0
        """
        let config = try MetricsConfigLoader.load(yaml: yaml)
        #expect(config.metrics.count == 4)
        let cpu = try #require(config.metric(named: "cpu"))
        #expect(cpu.serviceName == "instance")
        #expect(cpu.aggregation == .avg)
        #expect(cpu.period == Period.parse("PT1H", zone: .utc))
        #expect(config.timeZone == .utc)
        #expect(config.metric(named: "radosgw.objects.size")?.aggregation == .increase)
        #expect(config.metric(named: "radosgw.objects.size")?.factor == ExactDecimal("0.000000000931322574615478515625"))
        let status = try #require(config.metric(named: "instance.status"))
        #expect(status.aggregation == .max)  // CloudKitty's collectors default to max
        #expect(status.ratedQuantity(fromAggregate: .zero) == ExactDecimal("1.0"))
        #expect(status.ratedQuantity(fromAggregate: .one) == ExactDecimal("0.5"))
        #expect(status.ratedQuantity(fromAggregate: ExactDecimal(2)) == .zero)
    }

    @Test func routeKeyPerMetric() throws {
        let config = try MetricsConfigLoader.load(yaml: """
        metrics:
          a: {unit: u, route_key: project}
          b: {unit: u, scope: user_id, route_key: user}
          c: {unit: u, route_key: resource}
        """)
        #expect(config.metrics.map(\.routeKey) == [.project, .user, .resource])
    }

    @Test func periodsAsSecondsAndDefaultsBlock() throws {
        let config = try MetricsConfigLoader.load(yaml: """
        defaults: {period: 900, aggregation: sum, grace: 60, retention: P1D, scope: user_id}
        metrics:
          a: {unit: u}
          b: {unit: u, period: P1M, aggregation: unique_count}
        """)
        let a = try #require(config.metric(named: "a"))
        #expect(a.period.kind == .fixed(.minutes(15)))
        #expect(a.aggregation == .sum)
        #expect(a.grace == .minutes(1))
        #expect(a.retention == .days(1))
        #expect(a.scope == .userId)
        #expect(a.routeKey == .resource, "route_key defaults to resource")
        #expect(config.metric(named: "b")?.period.kind == .month)
        #expect(config.metric(named: "b")?.aggregation == .uniqueCount)
    }
}

@Suite struct FractionFactorTests {
    @Test func terminatingFractionsAreExact() {
        #expect(exactQuotient(ExactDecimal(3), ExactDecimal(8)) == ExactDecimal("0.375"))
        #expect(exactQuotient(ExactDecimal(1), ExactDecimal(1_048_576)) == ExactDecimal("0.00000095367431640625"))
        #expect(exactQuotient(ExactDecimal("-2.5")!, ExactDecimal(-4)) == ExactDecimal("0.625"))
        #expect(exactQuotient(ExactDecimal(1), ExactDecimal(3)) == nil)
    }

    @Test func otherFractionsAreDivided() throws {
        let config = try MetricsConfigLoader.load(yaml: "metrics:\n  m: {unit: u, factor: 1/3}\n")
        #expect(config.metric(named: "m")?.factor == ExactDecimal.one.divided(by: ExactDecimal(3)))
    }
}
