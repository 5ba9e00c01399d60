import Foundation
import Testing
import TallyCore
import TallyEngine
import TallyKafka
import TallyRater
import TallyRuntime
import TallyWire

/// What group mode refuses, with an error that names the problem (docs/SCALE.md).
@Suite(.serialized) struct GroupModeRefusalTests {
    /// Prices every service on cumulative usage (what a tiered rule book does).
    final class TieredPricer: WindowPricer {
        func price(_ input: RatingInput, metric: MetricDefinition, usage: TierUsageSource?) -> RatingResult {
            FlatPricer().price(input, metric: metric, usage: usage)
        }
        func usesCumulativeUsage(service: String) -> Bool { service == "volume.size" }
        var ruleBookVersion: Int64? { nil }
        var ruleBookHash: String? { nil }
    }

    private static func config() -> ServiceConfig {
        var config = ServiceConfig(bootstrapServers: "127.0.0.1:1", statePath: NSTemporaryDirectory() + "tally-refusal-\(UUID().uuidString)",
                                   metricsFile: "metrics.yaml")
        config.inputs = [ServiceConfig.Input(topic: "tally.samples", format: .native)]
        return config
    }

    @Test func cumulativeTiersAreRefusedNamingTheServices() throws {
        let metrics = try MetricsConfigLoader.load(yaml: EndToEndFixture.metrics)
        #expect {
            _ = try GroupRaterService(config: Self.config(), metrics: metrics, pricer: TieredPricer())
        } throws: { "\($0)".contains("cumulative tiers") && "\($0)".contains("volume.size") }
        _ = try GroupRaterService(config: Self.config(), metrics: metrics, pricer: FlatPricer())  // per-window prices: fine
    }

    @Test func severalInputTopicsAreRefused() throws {
        var config = Self.config()
        config.inputs.append(ServiceConfig.Input(topic: "metering.sample", format: .ceilometer))
        let metrics = try MetricsConfigLoader.load(yaml: EndToEndFixture.metrics)
        #expect { _ = try GroupRaterService(config: config, metrics: metrics, pricer: FlatPricer()) }
            throws: { "\($0)".contains("exactly one input topic") }
    }

    /// A frames topic with fewer partitions than the input would put two tasks on one chain.
    @Test func aFramesTopicWithFewerPartitionsThanTheInputIsRefused() throws {
        let fixture = try EndToEndFixture(extraConfig: "rater: {group: true}")
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: fixture.broker.bootstrapServers))
        _ = try admin.createTopic("tally.frames", partitions: 2)
        let run = try TallyProcess.run(["run", "--config", fixture.configPath], timeout: 120)
        #expect(run.status != 0)
        #expect(run.output.contains("the frames topic tally.frames has 2 partition(s) but the input metering.sample has 3"), "\(run.output)")
    }
}
