import TallyCore
import TallySeededRandom
import TallyWire

/// Writes samples the way Ceilometer's Kafka publisher does: an oslo.messaging
/// envelope whose `oslo.message` is the notification as a JSON *string*, the
/// notification's `payload` a list of samples (docs/INPUTS.md).
public enum CeilometerEncoder {
    /// - Parameter signer: signs each sample's `message_signature` (left empty without one).
    public static func record(_ samples: ArraySlice<UsageSimulator.Sample>, messageID: String,
                              signer: CeilometerSigner? = nil) -> [UInt8] {
        record(sampleJSON: samples.map { sampleJSON($0, signer: signer) }, messageID: messageID,
               timestamp: samples.first?.timestamp)
    }

    /// A record around samples given as JSON text, with the notification's `priority`.
    public static func record(sampleJSON: [String], messageID: String, timestamp: EventTime? = nil,
                              priority: String = "SAMPLE") -> [UInt8] {
        var inner = "{\"message_id\": \"\(messageID)\", \"publisher_id\": \"telemetry.publisher.tally-sim\", "
        inner += "\"event_type\": \"metering\", \"priority\": \"\(priority)\", \"payload\": ["
        inner += sampleJSON.joined(separator: ", ")
        let stamp = timestamp.map { Timestamps.iso8601($0) } ?? ""
        inner += "], \"timestamp\": \"\(stamp.replacingOccurrences(of: "T", with: " ").dropLast())\", \"_context\": {}}"
        var out = Array("{\"oslo.version\": \"2.0\", \"oslo.message\": \"".utf8)
        out.reserveCapacity(inner.utf8.count + inner.utf8.count / 6 + 48)
        escape(inner, into: &out)
        out.append(contentsOf: "\"}".utf8)
        return out
    }

    /// A sample as Ceilometer writes it; signed when a signer is given.
    public static func sampleJSON(_ s: UsageSimulator.Sample, signer: CeilometerSigner?) -> String {
        let unsigned = sampleJSON(s)
        guard let signer, let signature = signer.signature(ofSample: Array(unsigned.utf8)) else { return unsigned }
        return unsigned.replacingOccurrences(of: "\"message_signature\": \"\"", with: "\"message_signature\": \"\(signature)\"")
    }

    public static func sampleJSON(_ s: UsageSimulator.Sample) -> String {
        let meta = s.metadata.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ")
        // Polled samples carry a timestamp without a zone (UTC), as Ceilometer writes them.
        let time = String(Timestamps.iso8601(s.timestamp).dropLast())
        return "{\"source\": \"openstack\", \"counter_name\": \"\(s.metric)\", \"counter_type\": \"\(s.type)\", "
            + "\"counter_unit\": \"\(s.unit)\", \"counter_volume\": \(s.volume), \"user_id\": \"\(s.user)\", "
            + "\"user_name\": null, \"project_id\": \"\(s.project)\", \"project_name\": null, "
            + "\"resource_id\": \"\(s.resource)\", \"timestamp\": \"\(time)\", \"resource_metadata\": {\(meta)}, "
            + "\"message_id\": \"\(s.id)\", \"monotonic_time\": null, \"message_signature\": \"\"}"
    }

    /// JSON string escaping of ASCII text (quote and backslash), as bytes.
    static func escape(_ text: String, into out: inout [UInt8]) {
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
    }

    /// Records of `perRecord` samples each, in order.
    public static func records(_ samples: [UsageSimulator.Sample], perRecord: Int, seed: UInt64 = 11,
                               signer: CeilometerSigner? = nil) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        return stride(from: 0, to: samples.count, by: perRecord).map {
            record(samples[$0..<min($0 + perRecord, samples.count)], messageID: rng.uuid(), signer: signer)
        }
    }
}
