import Yams

/// Every configuration key can be set from the environment: `ERASURE_RELAY__` followed by the key's path, segments
/// joined by `__`, in any case. `ERASURE_RELAY__KAFKA__BOOTSTRAP_SERVERS` sets `kafka.bootstrap_servers`;
/// `ERASURE_RELAY__VENDORS__BRAZE__RATE_LIMIT__REQUESTS` sets `vendors.braze.rate_limit.requests`. The environment
/// wins over the file.
enum EnvironmentOverrides {
    static let prefix = "ERASURE_RELAY__"

    /// The variable that overrides the key at `path`, such as `ERASURE_RELAY__KAFKA__GROUP_ID`.
    static func variableName(for path: String) -> String {
        prefix + path.split(separator: ".").joined(separator: "__").uppercased()
    }

    static func isPresent(in environment: [String: String]) -> Bool {
        environment.keys.contains(where: isOverride)
    }

    private static func isOverride(_ name: String) -> Bool {
        name.uppercased().hasPrefix(prefix) && name.count > prefix.count
    }

    static func apply(to root: Node?, environment: [String: String]) -> Node? {
        let overrides = environment.filter { isOverride($0.key) }
        guard !overrides.isEmpty else { return root }
        var tree = root ?? Node.mapping([:])
        for (name, value) in overrides.sorted(by: { $0.key < $1.key }) {
            let path = name.dropFirst(prefix.count).components(separatedBy: "__").map { $0.lowercased() }
            guard !path.contains(where: \.isEmpty) else { continue }
            tree = setting(path[...], to: value, in: tree)
        }
        return tree
    }

    private static func setting(_ path: ArraySlice<String>, to value: String, in node: Node) -> Node {
        guard let key = path.first else { return Node(value, Tag(.str), .doubleQuoted) }
        var mapping = node.mapping ?? Node.Mapping([])
        let child = mapping[key] ?? Node.mapping([:])
        mapping[key] = setting(path.dropFirst(), to: value, in: child)
        return Node.mapping(mapping)
    }
}
