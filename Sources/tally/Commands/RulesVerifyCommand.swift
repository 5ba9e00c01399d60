import ArgumentParser
import TallyCore
import TallyCrypto
import TallyWire

/// `tally rules verify`: the stored log is an intact hash chain.
struct RulesVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Walk the hash chain; exit 1 at the first gap, undecodable or altered event, or broken link.")

    @OptionGroup var options: RulesConfigOption
    @Option(name: .long, help: "A head recorded elsewhere (a frame, a receipt): also catches events removed from the end.")
    var expectedHead: String?
    @Option(name: .long, help: "Trusted Ed25519 public keys, lines `NAME BASE64` (`tally tokens signing-key` prints the service's): also check that every event is signed by one of them, so its author is not self-declared.")
    var publicKeys: String?

    func run() throws {
        let client = try options.client()
        let report = try client.verify(expectedHead: expectedHead)
        if let problem = report.firstProblem {
            print("tally rules verify: BROKEN at \(problem)")
            throw ExitCode(1)
        }
        print("tally rules verify: intact: \(report.eventCount) event(s), \(report.chainedCount) chained, "
              + "\(report.staleCount) from racing writers, head \(report.head.isEmpty ? "(empty)" : report.head)")
        guard let publicKeys else { return }
        let check = Ed25519SignatureCheck()
        let ring: PublicKeyRing
        do {
            ring = try PublicKeyRing(text: readUserFile(publicKeys, what: "public keys file"), file: publicKeys, keyID: check.keyID)
        } catch let error as RuleEventDecodingError { throw CommandFailure("\(error)") }
        let findings = RuleSignatureAudit.audit(try client.readEvents(), ring: ring, check: check)
        let untrusted = findings.filter { !$0.status.isTrusted }
        for finding in findings {
            print("offset \(finding.offset): event \(finding.eventID) by \(finding.author): \(finding.status)")
        }
        if !untrusted.isEmpty {
            print("tally rules verify: \(untrusted.count) of \(findings.count) event(s) are not signed by a trusted key: their authors are not proven")
            throw ExitCode(1)
        }
        print("tally rules verify: all \(findings.count) event(s) signed by trusted keys")
    }
}
