import Foundation
import TallyCore
import Yams

/// The declarative ruleset file (YAML; format in docs/RATING.md, schema in
/// schemas/ruleset.schema.json). Parsing checks the shape and every value; loading
/// also validates the rules, reporting problems at the line of the offending rule.
public enum RulesetFile {
    /// Reads, parses and validates the file at `path`.
    public static func load(contentsOf path: String) throws -> RuleBook {
        let text: String
        do { text = try UserFile.text(path, what: "rules file") } catch let error as UserFileError {
            throw RulesetFileError(problems: [.init(location: path, path: "(file)", message: "the rules file \(error.reason)")])
        }
        return try load(yaml: text, file: path)
    }

    /// Parses and validates ruleset YAML.
    public static func load(yaml: String, file: String = "<ruleset>") throws -> RuleBook {
        let parsed = try parseWithLocations(yaml: yaml, file: file)
        do { return try RuleBook(validating: parsed.rules) } catch let invalid as RuleSetValidationError {
            throw RulesetFileError(problems: invalid.problems.map { problem in
                .init(location: parsed.locations[problem.rule] ?? file, path: problem.rule, message: problem.message)
            })
        }
    }

    /// Parses ruleset YAML into an unchecked `RuleSet` (shape and values only).
    public static func parse(yaml: String, file: String = "<ruleset>") throws -> RuleSet {
        try parseWithLocations(yaml: yaml, file: file).rules
    }

    static func parseWithLocations(yaml: String, file: String) throws -> (rules: RuleSet, locations: [String: String]) {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            throw RulesetFileError(problems: [.init(location: file, path: "(document)", message: "not valid YAML: \(error)")])
        }
        guard let root else {
            throw RulesetFileError(problems: [.init(location: file, path: "(document)", message: "the file is empty")])
        }
        var reader = RulesetReader()
        try reader.read(YAMLCursor(node: root, path: "", file: file))
        return (reader.rules, reader.locations)
    }

    /// Parses ruleset YAML and checks its names against the metrics configuration:
    /// every service must be a metric's service name (alt_name, else key) and every field
    /// one that metric's windows carry (its groupby and metadata fields). A typo
    /// (`instanse:`, `flavour_name:`) would otherwise bill that usage 0 silently. Throws
    /// every unknown name with its file:line:column.
    public static func parse(yaml: String, file: String = "<ruleset>", checkedAgainst metrics: MetricsConfig) throws -> RuleSet {
        let parsed = try parseWithLocations(yaml: yaml, file: file)
        var fields: [String: Set<String>] = [:]
        for metric in metrics.metrics {
            fields[metric.serviceName, default: []].formUnion((metric.groupby + metric.metadata).map(\.name))
        }
        var problems: [RulesetFileError.Problem] = []
        let known = fields.keys.sorted().joined(separator: ", ")
        for service in parsed.rules.services {
            let at = parsed.locations["services.\(service.name)"] ?? file
            guard let carried = fields[service.name] else {
                problems.append(.init(location: at, path: "services.\(service.name)",
                                      message: "unknown service '\(service.name)': no metric has this name (known: \(known))"))
                continue
            }
            for field in service.fields where !carried.contains(field) {
                problems.append(.init(location: parsed.locations["services.\(service.name).fields.\(field)"] ?? at,
                                      path: "services.\(service.name).fields.\(field)",
                                      message: "unknown field '\(field)': no '\(service.name)' window carries it (its fields: "
                                          + "\(carried.sorted().joined(separator: ", ")))"))
            }
        }
        for tier in parsed.rules.tiers where fields[tier.service] == nil {
            problems.append(.init(location: parsed.locations[tier.id] ?? file, path: tier.id,
                                  message: "unknown service '\(tier.service)': no metric has this name (known: \(known))"))
        }
        if !problems.isEmpty { throw RulesetFileError(problems: problems) }
        return parsed.rules
    }
}

/// Walks the YAML tree into a `RuleSet`, remembering where each rule was written.
struct RulesetReader {
    var rules = RuleSet()
    var locations: [String: String] = [:]

    static let validityKeys: Set<String> = ["id", "start", "end", "tenant"]

    mutating func read(_ root: YAMLCursor) throws {
        for (key, value) in try root.mapping(allowed: ["version", "modules", "groups", "services", "tiers", "scripts"]) {
            switch key {
            case "version":
                guard try value.integer() == 1 else { throw value.error("only version 1 is supported") }
            case "modules": try readModules(value)
            case "groups": rules.groups = try value.sequence().map { try $0.string() }
            case "services":
                for (name, service) in try value.mapping() { try readService(name, service) }
            case "tiers": rules.tiers = try value.sequence().map { try readTier($0) }
            default: rules.scripts = try value.sequence().map { try readScript($0) }
            }
        }
    }

    mutating func readModules(_ cursor: YAMLCursor) throws {
        for (name, value) in try cursor.mapping(allowed: Set(RatingModuleKind.allCases.map(\.rawValue))) {
            let module = RatingModuleKind(rawValue: name)!
            var setting = ModuleSetting.defaultSetting(for: module)
            for (key, field) in try value.mapping(allowed: ["enabled", "priority"]) {
                if key == "enabled" { setting.enabled = try field.bool() } else { setting.priority = try field.integer() }
            }
            rules.modules[module] = setting
        }
    }

    mutating func readService(_ name: String, _ cursor: YAMLCursor) throws {
        var declaration = ServiceDeclaration(name: name)
        locations["services.\(name)"] = cursor.keyLocation ?? cursor.location
        for (key, value) in try cursor.mapping(allowed: ["mappings", "thresholds", "fields"]) {
            switch key {
            case "mappings": for m in try value.sequence() { try readMapping(m, service: name, field: nil) }
            case "thresholds": for t in try value.sequence() { try readThreshold(t, service: name, field: nil) }
            default:
                for (fieldName, field) in try value.mapping() {
                    declaration.fields.append(fieldName)
                    locations["services.\(name).fields.\(fieldName)"] = field.keyLocation ?? field.location
                    if field.isNull { continue }
                    for (fieldKey, list) in try field.mapping(allowed: ["mappings", "thresholds"]) {
                        for item in try list.sequence() {
                            if fieldKey == "mappings" { try readMapping(item, service: name, field: fieldName) }
                            else { try readThreshold(item, service: name, field: fieldName) }
                        }
                    }
                }
            }
        }
        rules.services.append(declaration)
    }

    /// Reads id, start, end and tenant, and the rule's own keys via `other`.
    mutating func readCommon(_ cursor: YAMLCursor, keys: Set<String>,
                             other: (String, YAMLCursor) throws -> Void) throws -> (id: String, tenant: String?, validity: RuleValidity) {
        var id: String?, tenant: String?, validity = RuleValidity.always
        for (key, value) in try cursor.mapping(allowed: keys.union(Self.validityKeys)) {
            switch key {
            case "id": id = try value.string()
            case "tenant": tenant = try value.string()
            case "start": validity.start = try value.time()
            case "end": validity.end = try value.time()
            default: try other(key, value)
            }
        }
        guard let id else { throw cursor.error("a rule needs an 'id'") }
        if locations[id] == nil { locations[id] = cursor.location }
        return (id, tenant, validity)
    }

    func required<T>(_ value: T?, _ key: String, _ cursor: YAMLCursor) throws -> T {
        guard let value else { throw cursor.error("missing '\(key)'") }
        return value
    }

    mutating func readMapping(_ cursor: YAMLCursor, service: String, field: String?) throws {
        var type: CostType?, cost: ExactDecimal?, group: String?, value: String?
        let common = try readCommon(cursor, keys: ["type", "cost", "group", "value"]) { key, v in
            switch key {
            case "type": type = try v.choice(CostType.self)
            case "cost": cost = try v.decimal()
            case "group": group = try v.string()
            default: value = try v.string()
            }
        }
        rules.mappings.append(HashMapping(id: common.id, service: service, field: field, value: value,
                                          type: try required(type, "type", cursor), cost: try required(cost, "cost", cursor),
                                          group: group, tenant: common.tenant, validity: common.validity))
    }

    mutating func readThreshold(_ cursor: YAMLCursor, service: String, field: String?) throws {
        var type: CostType?, cost: ExactDecimal?, group: String?, level: ExactDecimal?
        let common = try readCommon(cursor, keys: ["type", "cost", "group", "level"]) { key, v in
            switch key {
            case "type": type = try v.choice(CostType.self)
            case "cost": cost = try v.decimal()
            case "group": group = try v.string()
            default: level = try v.decimal()
            }
        }
        rules.thresholds.append(HashThreshold(id: common.id, service: service, field: field,
                                              level: try required(level, "level", cursor), type: try required(type, "type", cursor),
                                              cost: try required(cost, "cost", cursor), group: group,
                                              tenant: common.tenant, validity: common.validity))
    }

    mutating func readScript(_ cursor: YAMLCursor) throws -> ScriptRule {
        var source: String?
        let common = try readCommon(cursor, keys: ["source"]) { _, v in source = try v.string() }
        if common.tenant != nil { throw cursor.error("scripts are global: 'tenant' is not allowed") }
        return ScriptRule(id: common.id, source: try required(source, "source", cursor), validity: common.validity)
    }
}
