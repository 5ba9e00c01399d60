import Foundation
import TallyCore
import TallyCrypto
import TallyWire

/// What checking Ceilometer's `message_signature` costs per sample: the public fixture
/// (real ceilometer 27 records, every sample signed) decoded with and without the
/// check, same decoder setup as the decode benchmark. The difference per sample is
/// the canonical message (sorted, flattened, Python `str` forms) plus HMAC-SHA256.
func runSignatureBench(passes: Int = 200) {
    let path = "Tests/TallyWireTests/Fixtures/sample-notifications.jsonl"
    guard let data = FileManager.default.contents(atPath: path) else {
        print("signature bench: run from the repository root (\(path) not found)")
        return
    }
    let records = data.split(separator: UInt8(ascii: "\n")).map { Array($0) }
    let mac = try! HMACSHA256(key: Array("tally-fixture-secret".utf8))
    let plain = measure(records, DecoderOptions(), passes: passes)
    let signed = measure(records, DecoderOptions(signatures: mac), passes: passes)
    print("decode the Ceilometer fixture (\(records.count) records, \(plain.samples / passes) samples per pass):")
    print(String(format: "  without signature check: %.2f M samples/s (%.0f ns/sample)", 1e-6 / plain.perSample, plain.perSample * 1e9))
    print(String(format: "  with signature check:    %.2f M samples/s (%.0f ns/sample); the check costs %.0f ns/sample, %d rejected",
                 1e-6 / signed.perSample, signed.perSample * 1e9, (signed.perSample - plain.perSample) * 1e9, signed.rejected))
}

private func measure(_ records: [[UInt8]], _ options: DecoderOptions, passes: Int) -> (perSample: Double, samples: Int, rejected: Int) {
    let plan = try! MetadataPlan(keys: [
        MetadataKeySpec("flavor_name", alternatives: ["flavor_name", "flavor.name", "instance_type"]),
        MetadataKeySpec("volume_type"),
    ])
    let decoder = SampleDecoder(format: .ceilometer, symbols: SymbolTable(), plan: plan, options: options)
    var samples = 0, rejected = 0
    func pass() {
        for record in records {
            record.withUnsafeBytes { raw in
                _ = try? decoder.decode(raw, emit: { _ in samples += 1 }, reject: { _ in rejected += 1 })
            }
        }
    }
    pass()
    samples = 0
    rejected = 0
    let elapsed = ContinuousClock().measure { for _ in 0..<passes { pass() } }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return (seconds / Double(samples), samples, rejected)
}
