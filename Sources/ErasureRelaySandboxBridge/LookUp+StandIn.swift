import Crypto
import ErasureRelay
import VendorSandbox

extension HTTPVendorDefinition.LookUp {
    /// How many users a stand-in's vendor holds for `identifier`: none for the sandbox's unknown users, N for an
    /// identifier starting `matches-N-`, one for any other.
    static func standInMatchCount(of identifier: String, unknownUserPrefix: String) -> Int {
        if identifier.hasPrefix(unknownUserPrefix) { return 0 }
        let parts = identifier.split(separator: "-", maxSplits: 2)
        if parts.count == 3, parts[0] == "matches", let count = Int(parts[1]), (0...1000).contains(count) {
            return count
        }
        return 1
    }

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
