import TallyAudit
import TallyCore
import TallyRuntime

/// Where a new user should look first: the dashboard pages of a running service, with a
/// corrected charge's trace when the frames topic has one (the demo's final message).
public enum DashboardLinks {
    public static func lines(baseURL: String, config: ServiceConfig) -> [String] {
        var lines = ["  bills:              \(baseURL)/?page=overview&bucket=hour",
                     "  per project:        \(baseURL)/?page=project",
                     "  rule log:           \(baseURL)/?page=rules (the backdated price change, who made it and why)",
                     "  price impact:       \(baseURL)/?page=impact"]
        // The newest corrected frame: revision 2 or later on the frames topic.
        if let records = try? TopicIO.readAll(topic: config.framesTopic, bootstrapServers: config.bootstrapServers) {
            var ledger = FrameLedger()
            for record in records { ledger.add(record.value) }
            if let corrected = ledger.latest.values.filter({ $0.revision > 1 }).max(by: { ($0.windowStart, $0.frameId) < ($1.windowStart, $1.frameId) }) {
                lines.append("  a corrected charge: \(baseURL)/?page=trace&frame=\(corrected.frameId) (both revisions, the samples, the rules)")
            }
        }
        return lines
    }
}
