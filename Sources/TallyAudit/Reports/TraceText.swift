import TallyCore

extension FrameTrace {
    /// The trace for a reader who is not an engineer: what was billed, why, from what.
    public func text() -> String {
        let f = latest
        let window = f["window"] as? [String: Any] ?? [:]
        let scope = f["scope"] as? [String: Any] ?? [:]
        let currency = f["currency"] as? String ?? ""
        var out: [String] = []
        out.append("Frame \(frameID)")
        out.append("  \(f["metric"] as? String ?? "") of \(f["resource_id"] as? String ?? "") for \(scope["kind"] as? String ?? "scope") \(scope["id"] as? String ?? "")")
        out.append("  window \(window["start"] as? String ?? "") to \(window["end"] as? String ?? "")")
        out.append("  quantity \(f["quantity"] as? String ?? "") \(f["unit"] as? String ?? ""), price \(f["price"] as? String ?? "") \(currency)"
                   + ((f["status"] as? String) == "rated" ? "" : " — RATING FAILED: \(f["rating_error"] as? String ?? "")"))
        out.append("")
        out.append("Revisions (the latest one is billed; the deltas add up to it)")
        var rows = [["revision", "quantity", "price", "previous price", "delta", "rule book", "content hash"]]
        for bytes in revisions {
            let r = Self.object(bytes)
            let book = r["rule_book"] as? [String: Any] ?? [:]
            rows.append(["\(r["revision"] as? Int ?? 0)", r["quantity"] as? String ?? "", r["price"] as? String ?? "",
                         r["previous_price"] as? String ?? "", r["price_delta"] as? String ?? "",
                         (book["version"] as? Int).map { "version \($0)" } ?? "file", String((r["content_hash"] as? String ?? "").prefix(16))])
        }
        out.append(TextTable.render(rows))
        out.append("")
        let lineage = f["lineage"] as? [String: Any] ?? [:]
        let expected = lineage["sample_count"] as? Int ?? -1
        let digestOK = recomputedDigest == (lineage["sample_digest"] as? String ?? "")
        out.append("Samples read back from Kafka: \(samples.count) (the frame says \(expected)); digest \(digestOK ? "matches" : "DOES NOT MATCH")"
                   + (duplicateSamples > 0 ? "; \(duplicateSamples) resent copies ignored" : ""))
        var sampleRows = [["timestamp", "volume", "topic", "partition", "offset", "sample id"]]
        for s in samples {
            sampleRows.append([Timestamps.iso8601(s.timestamp), s.volume.canonicalText, s.topic, "\(s.partition)", "\(s.offset)", s.sampleID])
        }
        out.append(TextTable.render(sampleRows))
        out.append("")
        out.append(rules.isEmpty ? "Rules: none matched (flat price per unit, or no rule)" : "Rules that priced it (from the rule log)")
        for rule in rules {
            out.append("  \(rule.ruleID)" + (rule.events.isEmpty ? ": not in the rule log (a rules file?)" : ""))
            for e in rule.events {
                out.append("    \(e.operation) by \(e.author) at \(Timestamps.iso8601(e.recordedAt)), in force from \(Timestamps.iso8601(e.start))"
                           + (e.end.map { " to " + Timestamps.iso8601($0) } ?? "")
                           + Self.forcedNote(e)
                           + " — \(e.reason) [log offset \(e.offset)]")
            }
        }
        out.append("")
        out.append("How the price was computed")
        out += Self.arithmeticLines(f["rating"]).map { "  " + $0 }
        if !problems.isEmpty {
            out.append("")
            out.append("Problems")
            out += problems.map { "  " + $0 }
        }
        return out.joined(separator: "\n")
    }

    /// Why a forced event changed the past: an end or delete before it was recorded is
    /// only possible as a supersede (a correction of a wrong past price); a create
    /// before it was recorded is backdated.
    static func forcedNote(_ e: RuleAuditEntry) -> String {
        guard e.force else { return "" }
        guard e.start < e.recordedAt else { return " (forced)" }
        return e.operation == "end" || e.operation == "delete" ? " (correction of the past, forced)" : " (backdated, forced)"
    }

    /// The explanation's steps as text, read from the frame's `rating` JSON (docs/RATING.md),
    /// in the same words as `ExplanationText`.
    public static func arithmeticLines(_ rating: Any?) -> [String] {
        let modules = rating as? [[String: Any]] ?? []
        if modules.isEmpty { return ["no rating module applied (flat price per unit, or no rule)"] }
        var out: [String] = []
        for m in modules {
            out.append("\(m["module"] as? String ?? "?"): price \(m["price_before"] as? String ?? "") → \(m["price_after"] as? String ?? "")")
            if let groups = m["groups"] as? [[String: Any]] {
                if groups.isEmpty { out.append("  no rule matched") }
                for g in groups {
                    let mappings = g["mappings"] as? [String] ?? []
                    out.append("  group \(g["group"] as? String ?? "(default)"): \(mappings.isEmpty ? "no mapping" : "mappings " + mappings.joined(separator: ", "))"
                               + "; flat \(g["flat"] as? String ?? ""), rate \(g["rate"] as? String ?? "")")
                    if let t = g["threshold"] as? [String: Any] {
                        out.append("    threshold \(t["id"] as? String ?? "") (\(t["scope"] as? String ?? ""), level \(t["level"] as? String ?? "")): \(t["type"] as? String ?? "") \(t["cost"] as? String ?? "")")
                    }
                    for line in g["steps"] as? [String] ?? [] { out.append("    " + line) }
                    out.append("    group result \(g["result"] as? String ?? "")")
                }
            }
            if m["module"] as? String == "tiers" {
                if let t = m["tier"] as? [String: Any] {
                    out.append("  tier schedule \(t["id"] as? String ?? ""): usage before this window \(t["prior_quantity"] as? String ?? "") over \(t["prior_windows"] as? Int ?? 0) windows; this window \(t["quantity"] as? String ?? "")")
                    out.append("    cumulative price \(t["cumulative_before"] as? String ?? "") → \(t["cumulative_after"] as? String ?? "")")
                } else {
                    out.append("  no tier schedule for this service")
                }
            }
            if let scripts = m["scripts"] as? [String] { out += scripts.map { "  " + $0 } }
            if let error = m["error"] as? String { out.append("  FAILED: \(error)") }
        }
        return out
    }

    /// Everything, for an auditor: the revisions verbatim, every sample, every rule event,
    /// the digest check and the arithmetic.
    public func json() -> String {
        let lineage = latest["lineage"] as? [String: Any] ?? [:]
        let sampleJSON: [CanonicalJSON] = samples.map { s in
            .object(["topic": .string(s.topic), "partition": .integer(Int64(s.partition)), "offset": .integer(s.offset),
                     "timestamp": .string(Timestamps.iso8601(s.timestamp)), "volume": .decimal(s.volume), "sample_id": .string(s.sampleID)])
        }
        let ruleJSON: [CanonicalJSON] = rules.map { rule in
            .object(["rule_id": .string(rule.ruleID), "events": .array(rule.events.map { e in
                .object(["offset": .integer(e.offset), "event_id": .string(e.eventID), "author": .string(e.author),
                         "reason": .string(e.reason), "recorded_at": .string(Timestamps.iso8601(e.recordedAt)),
                         "start": .string(Timestamps.iso8601(e.start)), "end": e.end.map { .string(Timestamps.iso8601($0)) } ?? .null,
                         "force": .bool(e.force), "operation": .string(e.operation), "hash": .string(e.hash)])
            })])
        }
        let rest: CanonicalJSON = .object([
            "frame_id": .string(frameID),
            "samples": .array(sampleJSON),
            "duplicate_samples": .integer(Int64(duplicateSamples)),
            "sample_count_expected": .integer(Int64(lineage["sample_count"] as? Int ?? -1)),
            "sample_digest_expected": .string(lineage["sample_digest"] as? String ?? ""),
            "sample_digest_recomputed": .string(recomputedDigest),
            "rules": .array(ruleJSON),
            "arithmetic": .array(Self.arithmeticLines(latest["rating"]).map(CanonicalJSON.string)),
            "problems": .array(problems.map(CanonicalJSON.string)),
        ])
        // The revisions go in verbatim (their bytes are what was hashed and billed).
        let revisionsText = "[" + revisions.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",") + "]"
        return String(rest.text.dropLast()) + ",\"revisions\":" + revisionsText + "}"
    }
}
