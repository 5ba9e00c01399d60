import Foundation
import TallyCore

/// Renders a replay's diff as a table, JSON or CSV.
public enum ReplayReport {
    public enum Format: String, Sendable, CaseIterable { case table, json, csv }

    public static func render(_ diff: ReplayDiff, format: Format, detail: Bool, replayId: String? = nil,
                              corrections: ReplayCorrections.Outcome? = nil) -> String {
        switch format {
        case .table: return table(diff, detail: detail, corrections: corrections)
        case .csv: return csv(diff, detail: detail)
        case .json: return json(diff, detail: detail, replayId: replayId, corrections: corrections).text
        }
    }

    static func table(_ diff: ReplayDiff, detail: Bool, corrections: ReplayCorrections.Outcome?) -> String {
        var rows = [["scope", "frames", "changed", "old total", "new total", "difference"]]
        for s in diff.scopes {
            rows.append([s.scope, String(s.frames), String(s.changedFrames), s.oldTotal.canonicalText,
                         s.newTotal.canonicalText, s.difference.canonicalText])
        }
        var out = align(rows)
        if detail && !diff.changed.isEmpty {
            var lines = [["frame_id", "scope", "metric", "resource", "window start", "old rev", "old qty", "new qty", "old price", "new price", "difference"]]
            for f in diff.changed {
                lines.append([f.frameId, f.scope, f.metric, f.resource, f.windowStart, f.old.map { String($0.revision) } ?? "-",
                              f.old == nil ? "-" : f.oldQuantity.canonicalText, f.new == nil ? "-" : f.newQuantity.canonicalText,
                              f.oldPrice.canonicalText, f.newPrice.canonicalText, (f.newPrice - f.oldPrice).canonicalText])
            }
            out += "\n\n" + align(lines)
        }
        out += "\n\n\(diff.frames.count) window(s), \(diff.changed.count) changed (\(diff.currency))"
        if let corrections {
            if let emitted = corrections.emitted {
                out += "; \(emitted) correction revision(s) emitted by the rater"
                if !corrections.skipped.isEmpty { out += ", \(corrections.skipped.count) skipped:" }
                for s in corrections.skipped { out += "\n  skipped \(s.frameId): \(s.reason)" }
            } else {
                out += "; \(corrections.requested) correction(s) QUEUED: no rater has executed them yet; the running rater "
                    + "(or the next one to start) emits them"
            }
        }
        return out
    }

    static func csv(_ diff: ReplayDiff, detail: Bool) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        if detail {
            var out = ["frame_id,scope,metric,resource,window_start,old_revision,old_quantity,new_quantity,old_price,new_price,difference"]
            for f in diff.changed {
                out.append([f.frameId, f.scope, f.metric, f.resource, f.windowStart, f.old.map { String($0.revision) } ?? "",
                            f.oldQuantity.canonicalText, f.newQuantity.canonicalText, f.oldPrice.canonicalText,
                            f.newPrice.canonicalText, (f.newPrice - f.oldPrice).canonicalText].map(field).joined(separator: ","))
            }
            return out.joined(separator: "\n")
        }
        var out = ["scope,frames,changed,old_total,new_total,difference"]
        for s in diff.scopes {
            out.append([s.scope, String(s.frames), String(s.changedFrames), s.oldTotal.canonicalText, s.newTotal.canonicalText,
                        s.difference.canonicalText].map(field).joined(separator: ","))
        }
        return out.joined(separator: "\n")
    }

    static func json(_ diff: ReplayDiff, detail: Bool, replayId: String?, corrections: ReplayCorrections.Outcome?) -> CanonicalJSON {
        var members: [String: CanonicalJSON] = [
            "currency": .string(diff.currency),
            "windows": .integer(Int64(diff.frames.count)),
            "changed": .integer(Int64(diff.changed.count)),
            "scopes": .array(diff.scopes.map { s in
                .object(["scope": .string(s.scope), "frames": .integer(Int64(s.frames)), "changed": .integer(Int64(s.changedFrames)),
                         "old_total": .string(s.oldTotal.canonicalText), "new_total": .string(s.newTotal.canonicalText),
                         "difference": .string(s.difference.canonicalText)])
            }),
        ]
        if let replayId { members["replay_id"] = .string(replayId) }
        if let corrections {
            members["corrections_requested"] = .integer(Int64(corrections.requested))
            members["corrections_status"] = .string(corrections.receipts == nil ? "queued" : "executed")
            if let emitted = corrections.emitted { members["corrections_emitted"] = .integer(Int64(emitted)) }
            members["corrections_skipped"] = .array(corrections.skipped.map {
                .object(["frame_id": .string($0.frameId), "reason": .string($0.reason)])
            })
        }
        if detail {
            members["frames"] = .array(diff.changed.map { f in
                .object(["frame_id": .string(f.frameId), "scope": .string(f.scope), "metric": .string(f.metric),
                         "resource_id": .string(f.resource), "window_start": .string(f.windowStart),
                         "old_revision": f.old.map { .integer(Int64($0.revision)) } ?? .null,
                         "old_quantity": f.old == nil ? .null : .decimal(f.oldQuantity),
                         "new_quantity": f.new == nil ? .null : .decimal(f.newQuantity),
                         "old_price": .decimal(f.oldPrice), "new_price": .decimal(f.newPrice),
                         "difference": .decimal(f.newPrice - f.oldPrice)])
            })
        }
        return .object(members)
    }

    static func align(_ rows: [[String]]) -> String {
        guard let width = rows.first?.count else { return "" }
        let widths = (0..<width).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
