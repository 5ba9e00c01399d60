import Foundation

/// Debian's `chromium` in headless mode, no driver library: `--dump-dom` prints the DOM after
/// the page's scripts ran, `--screenshot` writes a PNG. Each call is its own browser process
/// with its own throw-away profile, stopped when it returns.
enum HeadlessChromium {
    static func dumpDOM(_ url: String) throws -> String {
        let result = try run(["--dump-dom", url])
        guard result.status == 0, result.output.contains("<html") else {
            throw ChromiumError("chromium --dump-dom \(url) failed (\(result.status)): \(result.output.prefix(2000))")
        }
        return result.output
    }

    static func screenshot(_ url: String, to path: URL) throws {
        let result = try run(["--screenshot=\(path.path)", "--window-size=1280,1600", url])
        guard FileManager.default.fileExists(atPath: path.path) else {
            throw ChromiumError("chromium --screenshot \(url) wrote nothing (\(result.status)): \(result.output.prefix(2000))")
        }
    }

    /// The values of every `data-num="KEY"` element of a page (the figures the dashboard
    /// shows): the exact value of `data-exact` when the element has one (money, shown
    /// rounded), else the element's text.
    static func figures(_ html: String) -> [String: String] {
        numbers(html).mapValues { $0.exact ?? $0.shown }
    }

    /// Each `data-num` element's text as the page shows it, and its `data-exact` if any.
    static func numbers(_ html: String) -> [String: (shown: String, exact: String?)] {
        var out: [String: (shown: String, exact: String?)] = [:]
        let pattern = try! NSRegularExpression(pattern: #"data-num="([^"]*)"(?: data-exact="([^"]*)")?[^>]*>([^<]*)<"#)
        let text = html as NSString
        for match in pattern.matches(in: html, range: NSRange(location: 0, length: text.length)) {
            let exact = match.range(at: 2).location == NSNotFound ? nil : text.substring(with: match.range(at: 2))
            out[text.substring(with: match.range(at: 1))] = (text.substring(with: match.range(at: 3)), exact)
        }
        return out
    }

    private static func run(_ args: [String]) throws -> (status: Int32, output: String) {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        // --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start.
        return try ExternalCommand.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                        "--user-data-dir=\(profile.path)", "--virtual-time-budget=5000"] + args, timeout: 120)
    }
}

struct ChromiumError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
