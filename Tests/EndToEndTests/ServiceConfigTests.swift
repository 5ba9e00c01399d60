import Foundation
import Testing
import TallyRuntime

/// The service configuration refuses what it does not understand, with file:line:column,
/// instead of falling back to a default (issue 9 item 6), and reads every documented key.
@Suite struct ServiceConfigTests {
    private func load(_ yaml: String) throws -> ServiceConfig {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tally-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tally.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try ServiceConfig.load(path: path, environment: [:])
    }

    private func failure(_ yaml: String) -> String {
        do { _ = try load(yaml); return "(loaded)" } catch { return "\(error)" }
    }

    @Test func unknownKeysAreErrorsWithFileLineAndColumn() {
        let typo = failure("kafka:\n  bootstrp: 127.0.0.1:9093\nmetrics: m.yaml\n")
        #expect(typo.range(of: #"tally\.yaml:2:\d+: kafka\.bootstrp: unknown key 'bootstrp'"#, options: .regularExpression) != nil, "\(typo)")
        let state = failure("metrics: m.yaml\nstat:\n  path: /elsewhere\n")
        #expect(state.range(of: #"tally\.yaml:2:\d+: stat: unknown key 'stat'"#, options: .regularExpression) != nil, "\(state)")
        let input = failure("kafka:\n  inputs:\n    - {topic: a, fromat: native}\nmetrics: m.yaml\n")
        #expect(input.contains("kafka.inputs[0].fromat: unknown key 'fromat'"), "\(input)")
    }

    @Test func outOfRangeAndMistypedValuesAreErrors() {
        let zero = failure("metrics: m.yaml\nengine:\n  batch_samples: 0\n")
        #expect(zero.range(of: #"tally\.yaml:3:\d+: engine\.batch_samples: 0 is out of range"#, options: .regularExpression) != nil, "\(zero)")
        #expect(failure("metrics: m.yaml\nkafka: {frames_partitions: -1}\n").contains("kafka.frames_partitions: -1 is out of range"))
        #expect(failure("metrics: m.yaml\nkafka: {on_offset_reset: sometimes}\n").contains("'sometimes' is not one of: fail, earliest, latest"))
        #expect(failure("metrics: m.yaml\nkafka: {inputs: [{topic: a, format: xml}]}\n").contains("kafka.inputs[0].format: 'xml' is not one of"))
        #expect(failure("metrics: m.yaml\nstate: {durable: maybe}\n").contains("state.durable: 'maybe' is not true or false"))
        #expect(failure("metrics: m.yaml\nengine: {batch_ms: soon}\n").contains("engine.batch_ms: 'soon' is not an integer"))
        #expect(failure("kafka: {bootstrap: x:1}\n").contains("`metrics` (the metrics file) is required"))
    }

    @Test func syntaxErrorsAndMissingFilesNameTheFileInPlainWords() throws {
        let syntax = failure("kafka:\n  bootstrap: [oops\n")
        #expect(syntax.range(of: #"tally\.yaml: line \d+, column \d+: not valid YAML"#, options: .regularExpression) != nil, "\(syntax)")
        do {
            _ = try ServiceConfig.load(path: "/nonexistent/tally.yaml", environment: [:])
            Issue.record("loaded a missing file")
        } catch {
            #expect("\(error)" == "/nonexistent/tally.yaml: the configuration file does not exist")
        }
    }

    @Test func everyKeyOfTheExampleIsAcceptedAndRead() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/tally.yaml").path
        let config = try ServiceConfig.load(path: example, environment: [:])
        #expect(config.onOffsetReset == .fail)
        #expect(config.stopTimeoutMs == 30_000)
        #expect(config.batchSamples == 10_000)
        let custom = try load("""
            kafka:
              bootstrap: broker:9092
              inputs: [{topic: in, format: native}]
              on_offset_reset: earliest
              properties: {linger.ms: 7}
            state: {path: st, map_size_mib: 64, durable: false}
            metrics: m.yaml
            rules: ~
            engine: {batch_samples: 5, batch_ms: 9, stop_timeout_ms: 0}
            replay: {whole_topics: true}
            """)
        #expect(custom.onOffsetReset == .earliest)
        #expect(custom.inputs.map(\.topic) == ["in"] && custom.inputs.map(\.format) == [.native])
        #expect(custom.kafkaProperties == ["linger.ms": "7"])
        #expect(custom.rulesFile == nil)
        #expect(custom.mapSizeMiB == 64 && !custom.durableCommits && custom.batchSamples == 5 && custom.stopTimeoutMs == 0)
        #expect(custom.replayReadsWholeTopics)
    }
}
