import Foundation
import TallyCrypto
import TallyEngine
import TallyWire
import Yams

/// The per-input keys of `kafka.inputs[]` that decide what is refused (docs/INPUTS.md,
/// docs/CONFIG.md): `signature_secret`, `priorities`, `unknown_meters`.
extension ServiceConfig.Input {
    static let policyKeys = ["signature_secret", "priorities", "unknown_meters"]

    mutating func readPolicies(_ f: ConfigSection, item: YAMLCursor, resolve: (String) -> String,
                               environment: [String: String]) throws {
        if let raw = f["signature_secret"] {
            let entries = try? raw.mapping()
            guard let entries, entries.count == 1, let (kind, value) = entries.first,
                  kind == "file" || kind == "env", let name = try? value.string(), !name.isEmpty else {
                // Never echo the value: someone may have pasted the secret itself here.
                throw raw.error("signature_secret must be {file: PATH} or {env: VARIABLE} "
                    + "(the secret itself does not belong in the configuration file)")
            }
            guard format == .ceilometer else {
                // Only Ceilometer samples carry signatures: native samples would pass unchecked.
                throw raw.error("signature_secret needs format ceilometer (native samples and CloudEvents carry no signature)")
            }
            signatureSecret = kind == "file" ? .file(resolve(name)) : .environment(name)
            _ = try ServiceConfig.Input.readSecret(signatureSecret!, environment: environment, context: "\(item.file): \(item.path)")
        }
        if let list = f["priorities"] {
            priorities = try list.sequence().map { entry in
                // A plain number (`3`) is a YAML int, not a priority name.
                guard let name = try? entry.string(), !name.isEmpty,
                      !(entry.node.scalar?.style == .plain && Double(name) != nil) else {
                    throw entry.error("must be a non-empty string (Ceilometer sends SAMPLE)")
                }
                return name
            }
        }
        if let policy = f["unknown_meters"] {
            let name = try policy.string()
            guard let value = UnknownMeterPolicy(rawValue: name) else {
                throw policy.error("'\(name)' is not one of dead-letter, count, ignore")
            }
            unknownMeters = value
        }
    }

    /// The secret's bytes: a file's contents without one trailing line break, or an
    /// environment variable's value. Errors name the place, never the contents.
    public static func readSecret(_ source: ServiceConfig.SecretSource, environment: [String: String] = ProcessInfo.processInfo.environment,
                                  context: String) throws -> [UInt8] {
        var bytes: [UInt8]
        switch source {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(file: context, detail: "signature secret: cannot read \(source)")
            }
            bytes = Array(data)
            if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        case .environment(let name):
            bytes = Array((environment[name] ?? "").utf8)
        }
        guard !bytes.isEmpty else { throw ConfigError(file: context, detail: "signature secret: \(source) is empty or missing") }
        return bytes
    }

    /// The engine's view of this input, with a signature checker keyed with the secret.
    public func engineInput(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> EngineSettings.Input {
        var decoding = DecoderOptions(acceptedPriorities: priorities)
        if let signatureSecret {
            let key = try ServiceConfig.Input.readSecret(signatureSecret, environment: environment, context: "input \(topic)")
            decoding.signatures = try HMACSHA256(key: key)
        }
        return EngineSettings.Input(topic: topic, format: format.inputFormat, decoding: decoding, unknownMeters: unknownMeters)
    }
}

extension ServiceConfig.Input.Format {
    /// The engine's decoder for this configured format.
    public var inputFormat: InputFormat {
        switch self {
        case .ceilometer: return .ceilometer
        case .native: return .native
        case .cloudevents: return .cloudEvents
        case .auto: return .nativeOrCloudEvents
        }
    }
}
