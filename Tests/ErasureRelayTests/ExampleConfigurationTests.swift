import ErasureRelay
import ErasureRelayTestSupport
import Foundation
import Testing

/// A newcomer starts from the files under `examples/`: each must be a configuration `check-config` accepts once the
/// variables its `# needs:` lines list are set, and those lines must list every variable it reads.
@Suite("The example configurations")
struct ExampleConfigurationTests {
    static let files: [String] = {
        let vendors =
            (try? FileManager.default.contentsOfDirectory(
                atPath: packageRoot().appendingPathComponent("examples/vendors").path
            )) ?? []
        return ["config.yaml"] + vendors.filter { $0.hasSuffix(".yaml") }.sorted().map { "vendors/\($0)" }
    }()

    @Test func thereAreExamples() {
        #expect(Self.files.count >= 8)
    }

    @Test(arguments: files)
    func passesCheckConfigWithTheVariablesItNames(file: String) throws {
        let path = packageRoot().appendingPathComponent("examples/\(file)").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let needs = Set(
            text.split(separator: "\n").filter { $0.hasPrefix("# needs:") }.flatMap {
                $0.dropFirst("# needs:".count).split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
            }.filter { !$0.isEmpty }
        )
        let read = Set(text.matches(of: /\$\{([A-Z0-9_]+)(:-[^}]*)?\}/).map { String($0.1) })
        #expect(needs == read, "the # needs: lines of \(file) must list exactly the variables it reads")
        var environment: [String: String] = [:]
        for variable in needs { environment[variable] = sandboxCredential(variable) }
        environment["KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:9092"
        environment["ERASURE_RELAY_SIGNING_KEY"] = String(repeating: "ab", count: 32)
        let configuration = try RelayConfiguration(contentsOfFile: path, environment: environment)
        try configuration.validateForService()
        #expect(!configuration.vendors.isEmpty)
        // Without its brokers it says which key is missing, as check-config prints it.
        environment["KAFKA_BOOTSTRAP_SERVERS"] = nil
        #expect {
            try RelayConfiguration(contentsOfFile: path, environment: environment).validateForService()
        } throws: { error in
            (error as? ConfigurationError)?.key == "kafka.bootstrap_servers"
        }
    }

    /// `vendors render` and `sandbox --config` read the vendors alone: what the service would need besides is not
    /// theirs to refuse.
    @Test func theVendorsAloneAreReadWhenOnlyTheyMatter() throws {
        let yaml = """
            kafka: { bootstrap_servers: "${NOT_SET_BROKERS}", retry_topic: user-erasure }
            vendors: { braze: { api_key: k } }
            parking: { signing_key_file: /nonexistent/signing-key }
            """
        let vendors = try RelayConfiguration(yaml: yaml, environment: [:], vendorsOnly: true).vendors
        #expect(vendors.keys.map(\.rawValue) == ["braze"])
        #expect(throws: ConfigurationError.self) { try RelayConfiguration(yaml: yaml, environment: [:]) }
    }
}
