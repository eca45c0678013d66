import Crypto
import ErasureRelay
import VendorSandbox

extension HTTPVendorDefinition.LookUp {
    /// The vendor's own ids for `identifier`'s matches: stable, and nothing like the identifier itself.
    /// - Parameters:
    ///   - identifier: the identifier looked up.
    ///   - count: how many matches it has.
    public static func standInIDs(of identifier: String, count: Int) -> [String] {
        let digest = SHA256.hash(data: Array(identifier.utf8)).prefix(6).map { String($0, radix: 16) }.joined()
        return (0..<count).map { "contact-\(digest)-\($0)" }
    }

    /// The answer listing `ids` where the definition reads matches and their ids.
    func standInAnswer(ids: [String]) -> SandboxAnswer {
        let matches = ids.map { HTTPVendorDefinition.setting(id.steps[...], to: .string($0), in: .object([:])) }
        let answer = HTTPVendorDefinition.setting(self.matches.steps[...], to: .array(matches), in: .object([:]))
        return SandboxAnswer(status: 200, body: answer.jsonText)
    }
}
