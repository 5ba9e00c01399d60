import TallyCore

/// Reads an export of CloudKitty's hashmap configuration — one JSON object holding the
/// v1 API's lists: `services`, `fields`, `groups`, `mappings`, `thresholds` (each as the
/// GET endpoints return them) — into a `RuleSet` that `RulesetYAML` writes as a ruleset
/// file for `tally rules apply` (`tally rules import`).
///
/// - Rule ids are CloudKitty's `mapping_id` / `threshold_id`; groups, services and fields
///   are referred to by name.
/// - Mappings and thresholds keep their `start` and `end` (no `start`: always). Times
///   without a zone are UTC (CloudKitty stores naive UTC).
/// - A soft-deleted rule (`deleted` set) is left out: CloudKitty never applies it.
/// - Rules keep the export's order, which is creation order when the lists come from the
///   API (rows by id), or by `created_at` when every rule has one: creation order decides
///   which of two overlapping mappings wins (docs/RATING.md, "Dated overlaps").
/// - Numbers (costs, levels) keep their exact text.
public enum CloudKittyHashmapImport {
    public static func ruleSet(fromJSON bytes: [UInt8], file: String = "<export>") throws -> RuleSet {
        let tree: CanonicalJSON
        do { tree = try JSONTreeParser.parse(bytes, decimalsAsText: true) } catch {
            throw RulesetFileError(problems: [.init(location: file, path: "(document)", message: "not valid JSON: \(error)")])
        }
        var reader = Reader(file: file)
        return try reader.read(tree)
    }

    struct Reader {
        let file: String
        var rules = RuleSet()

        func fail(_ path: String, _ message: String) -> RulesetFileError {
            RulesetFileError(problems: [.init(location: file, path: path, message: message)])
        }

        func list(_ root: [String: CanonicalJSON], _ key: String) throws -> [[String: CanonicalJSON]] {
            guard let value = root[key] else { return [] }
            guard case .array(let items) = value else { throw fail(key, "expected a list") }
            return try items.enumerated().map { i, item in
                guard case .object(let members) = item else { throw fail("\(key)[\(i)]", "expected an object") }
                return members
            }
        }

        func text(_ m: [String: CanonicalJSON], _ key: String, _ path: String) throws -> String? {
            switch m[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            case .integer(let n)?: return String(n)
            default: throw fail("\(path).\(key)", "expected a string or a number")
            }
        }

        func required(_ m: [String: CanonicalJSON], _ key: String, _ path: String) throws -> String {
            guard let value = try text(m, key, path), !value.isEmpty else { throw fail("\(path).\(key)", "missing") }
            return value
        }

        func decimal(_ m: [String: CanonicalJSON], _ key: String, _ path: String) throws -> ExactDecimal {
            let value = try required(m, key, path)
            guard let d = ExactDecimal(value) else { throw fail("\(path).\(key)", "'\(value)' is not a decimal number") }
            return d
        }

        func time(_ m: [String: CanonicalJSON], _ key: String, _ path: String) throws -> EventTime? {
            guard var value = try text(m, key, path) else { return nil }
            let hasZone = value.hasSuffix("Z") || value.dropFirst(19).contains("+") || value.dropFirst(19).contains("-")
            if !hasZone { value += "Z" }
            do { return try TimestampParser.parse(value.replacingOccurrences(of: " ", with: "T")) } catch {
                throw fail("\(path).\(key)", "'\(value)' is not a time: \(error)")
            }
        }

        mutating func read(_ tree: CanonicalJSON) throws -> RuleSet {
            guard case .object(let root) = tree else { throw fail("(document)", "expected an object") }
            var groupNames: [String: String] = [:]
            for (i, g) in try list(root, "groups").enumerated() {
                let name = try required(g, "name", "groups[\(i)]")
                groupNames[try required(g, "group_id", "groups[\(i)]")] = name
                if !rules.groups.contains(name) { rules.groups.append(name) }
            }
            var serviceNames: [String: String] = [:]
            for (i, s) in try list(root, "services").enumerated() {
                let name = try required(s, "name", "services[\(i)]")
                serviceNames[try required(s, "service_id", "services[\(i)]")] = name
                rules.services.append(ServiceDeclaration(name: name))
            }
            var fieldNames: [String: (service: String, name: String)] = [:]
            for (i, f) in try list(root, "fields").enumerated() {
                let path = "fields[\(i)]"
                let serviceID = try required(f, "service_id", path)
                guard let service = serviceNames[serviceID] else { throw fail("\(path).service_id", "no service \(serviceID)") }
                let name = try required(f, "name", path)
                fieldNames[try required(f, "field_id", path)] = (service, name)
                if let s = rules.services.firstIndex(where: { $0.name == service }) { rules.services[s].fields.append(name) }
            }
            func parent(_ m: [String: CanonicalJSON], _ path: String) throws -> (service: String, field: String?) {
                if let fieldID = try text(m, "field_id", path) {
                    guard let f = fieldNames[fieldID] else { throw fail("\(path).field_id", "no field \(fieldID)") }
                    return (f.service, f.name)
                }
                let serviceID = try required(m, "service_id", path)
                guard let s = serviceNames[serviceID] else { throw fail("\(path).service_id", "no service \(serviceID)") }
                return (s, nil)
            }
            func group(_ m: [String: CanonicalJSON], _ path: String) throws -> String? {
                guard let id = try text(m, "group_id", path) else { return nil }
                guard let name = groupNames[id] else { throw fail("\(path).group_id", "no group \(id)") }
                return name
            }
            func type(_ m: [String: CanonicalJSON], _ path: String) throws -> CostType {
                let text = try self.text(m, "type", path) ?? self.text(m, "map_type", path) ?? "flat"
                guard let t = CostType(rawValue: text) else { throw fail("\(path).type", "'\(text)' is not flat or rate") }
                return t
            }
            func validity(_ m: [String: CanonicalJSON], _ path: String) throws -> RuleValidity {
                RuleValidity(start: try time(m, "start", path) ?? .distantPast, end: try time(m, "end", path))
            }
            func live(_ m: [String: CanonicalJSON]) -> Bool { if case .null? = m["deleted"] { return true }; return m["deleted"] == nil }

            for (i, m) in Self.creationOrder(try list(root, "mappings")).enumerated() where live(m) {
                let path = "mappings[\(i)]"
                let (service, field) = try parent(m, path)
                rules.mappings.append(HashMapping(id: try required(m, "mapping_id", path), service: service, field: field,
                                                  value: field == nil ? nil : try required(m, "value", path),
                                                  type: try type(m, path), cost: try decimal(m, "cost", path),
                                                  group: try group(m, path), tenant: try text(m, "tenant_id", path),
                                                  validity: try validity(m, path)))
            }
            for (i, t) in Self.creationOrder(try list(root, "thresholds")).enumerated() where live(t) {
                let path = "thresholds[\(i)]"
                let (service, field) = try parent(t, path)
                rules.thresholds.append(HashThreshold(id: try required(t, "threshold_id", path), service: service, field: field,
                                                      level: try decimal(t, "level", path), type: try type(t, path),
                                                      cost: try decimal(t, "cost", path), group: try group(t, path),
                                                      tenant: try text(t, "tenant_id", path), validity: try validity(t, path)))
            }
            return rules
        }

        /// By `created_at` when every item has one (stable), else as listed.
        static func creationOrder(_ items: [[String: CanonicalJSON]]) -> [[String: CanonicalJSON]] {
            let stamps = items.map { item -> String? in if case .string(let s)? = item["created_at"] { return s }; return nil }
            guard !items.isEmpty, stamps.allSatisfy({ $0 != nil }) else { return items }
            return items.indices.sorted { (stamps[$0]!, $0) < (stamps[$1]!, $1) }.map { items[$0] }
        }
    }
}
