import TallyCore
import Yams

extension MetricEntryParser {
    /// A `groupby` or `metadata` list. Each entry is a field path (`flavor_name`,
    /// `flavor.name`, `project_id`) or `{name: flavor_name, from: [flavor_name, flavor.name]}`,
    /// whose sources are tried in order.
    func parseFields(_ node: Node, field: String) -> [FieldSpec] {
        guard let items = reader.sequence(node, field: field) else { return [] }
        var specs: [FieldSpec] = []
        for (i, item) in items.enumerated() {
            let itemField = "\(field)[\(i)]"
            if case .mapping = item {
                guard let pairs = reader.mapping(item, field: itemField) else { continue }
                var name: String?, sources: [FieldSource] = [], sawFrom = false
                for (key, keyNode, value) in pairs {
                    switch key {
                    case "name": name = reader.text(value, field: "\(itemField).name")
                    case "from":
                        sawFrom = true
                        guard let paths = reader.sequence(value, field: "\(itemField).from") else { continue }
                        if paths.isEmpty { reader.report("\(itemField).from", at: value, "needs at least one path") }
                        for (j, pathNode) in paths.enumerated() {
                            if let source = source(pathNode, field: "\(itemField).from[\(j)]") { sources.append(source) }
                        }
                    default: reader.report("\(itemField).\(key)", at: keyNode, "unknown key; expected name and from")
                    }
                }
                guard let name else { reader.report("\(itemField).name", at: item, "missing"); continue }
                if !sawFrom { sources = source(named: name, at: item, field: itemField).map { [$0] } ?? [] }
                if !sources.isEmpty { specs.append(FieldSpec(name: name, sources: sources)) }
            } else {
                guard let path = reader.text(item, field: itemField) else { continue }
                if let source = source(named: path, at: item, field: itemField) {
                    specs.append(FieldSpec(name: path, sources: [source]))
                }
            }
        }
        var seen = Set<String>()
        for (i, spec) in specs.enumerated() where !seen.insert(spec.name).inserted {
            reader.report("\(field)[\(i)]", at: node, "'\(spec.name)' is listed twice")
        }
        return specs
    }

    /// CloudKitty rejects a name that is both a groupby and a metadata field.
    func checkOverlap(groupby: [FieldSpec], metadata: [FieldSpec], at node: Node?) {
        let groupNames = Set(groupby.map(\.name))
        for spec in metadata where groupNames.contains(spec.name) {
            reader.report("metadata", at: node, "'\(spec.name)' is both in groupby and in metadata")
        }
    }

    private func source(_ node: Node, field: String) -> FieldSource? {
        guard let path = reader.text(node, field: field) else { return nil }
        return source(named: path, at: node, field: field)
    }

    private func source(named path: String, at node: Node, field: String) -> FieldSource? {
        guard let source = FieldSource(path: path) else {
            reader.report(field, at: node, "'\(path)' is not a field path (dot-separated names, none empty)")
            return nil
        }
        return source
    }
}
