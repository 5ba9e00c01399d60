import TallyWire

/// Signs the events of a publication before the service publishes them (item: signed rule
/// events). The service's signer holds its Ed25519 key.
public protocol RuleEventSigner: Sendable {
    func sign(_ publication: RuleLogPublication) throws -> RuleLogPublication
}
