import NIOHTTP1
import Yams

extension VendorSettings {
    /// Reads `vendors.NAME` with `kind: http`. Every mistake is reported as one line naming its key.
    init(declared vendor: VendorID, node: ConfigNode) throws(ConfigurationError) {
        _ = try node.string("kind")
        let definition = try HTTPVendorDefinition(node: node)
        guard let baseURL = try node.string("base_url") else {
            throw ConfigurationError(key: node.qualified("base_url"), message: "is required for a vendor of kind http")
        }
        try Self.validateBaseURL(baseURL, key: node.qualified("base_url"))
        guard node.contains("rate_limit") else {
            throw ConfigurationError(
                key: node.qualified("rate_limit"),
                message: "is required for a vendor of kind http: give the quota its API documents"
            )
        }
        self.init(
            vendor: vendor,
            baseURL: baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL,
            account: definition,
            batching: Batching(maxSize: 1)
        )
        try readLaneSettings(from: node, maxBatchSize: definition.scope == .batch ? 10_000 : 1)
        if definition.scope == .batch, try node.child("batch")?.contains("max_size") != true {
            throw ConfigurationError(
                key: node.qualified("batch.max_size"),
                message: "is required when request.per is batch: give the most identifiers the API takes in one call"
            )
        }
    }
}

extension HTTPVendorDefinition {
    init(node: ConfigNode) throws(ConfigurationError) {
        settings = try node.child("settings")?.stringMap() ?? [:]
        secrets = [:]
        if let secretsNode = try node.child("secrets") {
            for key in secretsNode.keys {
                let name = key.hasSuffix("_file") ? String(key.dropLast("_file".count)) : key
                guard secrets[name] == nil else { continue }
                if secretsNode.contains(name), !secretsNode.isFromEnvironment(name) {
                    throw ConfigurationError(
                        key: secretsNode.qualified(name),
                        message: "is a secret written in plain text; give it as ${VARIABLE} or \(name)_file"
                    )
                }
                secrets[name] = try secretsNode.requiredSecret(name)
            }
            try secretsNode.rejectUnknownKeys()
        }
        // A PEM key spans lines; it only signs, and is never sent.
        let signingKey = try node.child("request")?.child("auth")?.child("oauth2_jwt_bearer")?.string("private_key")
        for name in Array(settings.keys) + Array(secrets.keys) {
            let key = node.qualified("\(settings[name] != nil ? "settings" : "secrets").\(name)")
            try Self.validateName(name, key: key)
            if settings[name] != nil, secrets[name] != nil {
                throw ConfigurationError(key: key, message: "is both a setting and a secret")
            }
            if name == signingKey, secrets[name] != nil { continue }
            // A value goes into URLs and headers, where a line break could start a header or a request of its own.
            let value = settings[name] ?? secrets[name]!.value
            guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw ConfigurationError(key: key, message: "must not contain control characters such as line breaks")
            }
        }

        guard let request = try node.child("request") else {
            throw ConfigurationError(key: node.qualified("request"), message: "is required for a vendor of kind http")
        }
        (method, path, query) = try Self.methodAndURL(request)
        scope = try Self.choice(request, "per", default: .identifier)
        mixKinds = try request.bool("mix_kinds") ?? false
        switch try request.string("batch_by") {
        case nil, "identifier":
            batchesSubjects = false
        case "subject":
            batchesSubjects = true
        case let other?:
            throw ConfigurationError(
                key: request.qualified("batch_by"),
                message: "must be identifier or subject, not '\(other)'"
            )
        }
        contentType = try Self.choice(request, "content_type", default: .json)
        headers = []
        if let headerNode = request.yaml("headers") {
            guard let mapping = headerNode.mapping else {
                throw ConfigurationError(
                    key: request.qualified("headers"),
                    message: "must be a mapping of names to values"
                )
            }
            for (name, value) in mapping {
                let key = request.qualified("headers.\(name.string ?? "?")")
                guard let name = name.string, !name.isEmpty, let value = value.scalar?.string else {
                    throw ConfigurationError(key: key, message: "must be a header name with a single value")
                }
                guard name.utf8.allSatisfy(Self.isHeaderNameByte) else {
                    throw ConfigurationError(key: key, message: "is not a valid header name")
                }
                guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    throw ConfigurationError(
                        key: key,
                        message: "must not contain control characters such as line breaks"
                    )
                }
                headers.append((name, try TemplateText(parsing: value, key: key)))
            }
        }
        auth = try Self.auth(request)
        body = try JSONTemplate.read(optional: request.yaml("body"), key: request.qualified("body"))
        item = try JSONTemplate.read(optional: request.yaml("item"), key: request.qualified("item"))
        lookup = try request.child("lookup").map { node throws(ConfigurationError) in try LookUp(node: node) }
        try request.rejectUnknownKeys()

        identifiers = try Self.identifiers(node)
        let answers = try Self.answers(node)
        rules = answers.rules
        defaultResult = answers.default
        referencePath = answers.reference
        deletedCountPath = answers.deletedCount
        job = try node.child("job").map { jobNode throws(ConfigurationError) in
            try Job(node: jobNode, reference: referencePath, settings: settings, secrets: Set(secrets.keys))
        }
        try validateNamespace(node)
        if case .oauth2JWTBearer(let grant) = auth, let pem = secrets[grant.privateKey]?.value,
            OAuth2JWTBearer.signingKey(pem) == nil
        {
            throw ConfigurationError(
                key: node.qualified("secrets.\(grant.privateKey)"),
                message: "must be an RSA private key of at least 2048 bits in PEM (PKCS#8 or PKCS#1), such as a "
                    + "service account's private_key"
            )
        }
        try validatePlaceholders(request: request)
    }

    /// `method` and `url` of a request or look-up node: the method, and the url's path and query as templates.
    static func methodAndURL(
        _ request: ConfigNode
    ) throws(ConfigurationError) -> (HTTPMethod, TemplateText, [(name: String, value: TemplateText)]) {
        let methodName = try request.requiredString("method").uppercased()
        guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(methodName) else {
            throw ConfigurationError(
                key: request.qualified("method"),
                message: "must be GET, POST, PUT, PATCH or DELETE, not '\(methodName)'"
            )
        }
        let url = try request.requiredString("url")
        guard url.hasPrefix("/") else {
            throw ConfigurationError(
                key: request.qualified("url"),
                message: "must be a path relative to base_url, starting with '/'"
            )
        }
        // Literal text goes on the wire as written, so it must already be what a request target may hold; a
        // fragment would never reach the vendor.
        guard url.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && $0 != "#" }) else {
            throw ConfigurationError(
                key: request.qualified("url"),
                message: "must be printable ASCII without spaces or '#': percent-encode any other character"
            )
        }
        let pathText = url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = try TemplateText(parsing: String(pathText[0]), key: request.qualified("url"))
        var query: [(name: String, value: TemplateText)] = []
        if pathText.count == 2 {
            for pair in pathText[1].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append(
                    (
                        String(parts[0]),
                        try TemplateText(
                            parsing: parts.count == 2 ? String(parts[1]) : "",
                            key: request.qualified("url")
                        )
                    )
                )
            }
        }
        return (HTTPMethod(rawValue: methodName), path, query)
    }

    /// RFC 9110's `tchar`: what a header name is made of.
    static func isHeaderNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static func validateName(_ name: String, key: String) throws(ConfigurationError) {
        guard TemplateText.isPlaceholderName(name), name.utf8.count <= 64 else {
            throw ConfigurationError(key: key, message: "must be named with 1 to 64 of A-Z, a-z, 0-9 and '_'")
        }
        guard !reservedNames.contains(name) else {
            throw ConfigurationError(key: key, message: "uses the reserved name \(name)")
        }
    }

    static func choice<Choice: RawRepresentable & CaseIterable>(
        _ node: ConfigNode,
        _ key: String,
        default: Choice
    ) throws(ConfigurationError) -> Choice where Choice.RawValue == String {
        guard let text = try node.string(key) else { return `default` }
        guard let choice = Choice(rawValue: text) else {
            throw ConfigurationError(
                key: node.qualified(key),
                message: "must be one of \(Choice.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'"
            )
        }
        return choice
    }

    private static func auth(_ request: ConfigNode) throws(ConfigurationError) -> Auth {
        guard let node = try request.child("auth") else { return .none }
        var chosen: [Auth] = []
        if let secret = try node.string("bearer") { chosen.append(.bearer(secret: secret)) }
        if let basic = try node.child("basic") {
            chosen.append(
                .basic(username: try basic.requiredString("username"), password: try basic.requiredString("password"))
            )
            try basic.rejectUnknownKeys()
        }
        if let grant = try node.child("oauth2_client_credentials") {
            chosen.append(.oauth2ClientCredentials(try Self.clientCredentials(grant)))
        }
        if let grant = try node.child("oauth2_jwt_bearer") {
            chosen.append(.oauth2JWTBearer(try Self.jwtBearer(grant)))
        }
        for kind in ["header", "query"] {
            if let keyNode = try node.child(kind) {
                let name = try keyNode.requiredString("name")
                let secret = try keyNode.requiredString("secret")
                if kind == "header" {
                    let prefix = try keyNode.string("prefix") ?? ""
                    guard !prefix.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                        throw ConfigurationError(
                            key: keyNode.qualified("prefix"),
                            message: "must not contain control characters such as line breaks"
                        )
                    }
                    chosen.append(.header(name: name, secret: secret, prefix: prefix))
                } else {
                    chosen.append(.query(name: name, secret: secret))
                }
                try keyNode.rejectUnknownKeys()
            }
        }
        try node.rejectUnknownKeys()
        guard chosen.count == 1 else {
            throw ConfigurationError(
                key: request.qualified("auth"),
                message: "must give exactly one of bearer, basic, header, query, oauth2_client_credentials, "
                    + "oauth2_jwt_bearer"
            )
        }
        return chosen[0]
    }

    private static func tokenURL(_ node: ConfigNode) throws(ConfigurationError) -> String {
        let tokenURL = try node.requiredString("token_url")
        try VendorSettings.validateBaseURL(
            tokenURL.split(separator: "?", maxSplits: 1).first.map(String.init) ?? tokenURL,
            key: node.qualified("token_url")
        )
        return tokenURL
    }

    private static func jwtBearer(_ node: ConfigNode) throws(ConfigurationError) -> OAuth2JWTBearer {
        let grant = OAuth2JWTBearer(
            tokenURL: try tokenURL(node),
            issuer: try node.requiredString("issuer"),
            privateKey: try node.requiredString("private_key"),
            scope: try node.string("scope"),
            audience: try node.string("audience"),
            subject: try node.string("subject"),
            keyID: try node.string("key_id")
        )
        try node.rejectUnknownKeys()
        return grant
    }

    private static func clientCredentials(_ node: ConfigNode) throws(ConfigurationError) -> OAuth2ClientCredentials {
        let grant = OAuth2ClientCredentials(
            tokenURL: try tokenURL(node),
            clientID: try node.requiredString("client_id"),
            clientSecret: try node.requiredString("client_secret"),
            scope: try node.string("scope"),
            clientAuthentication: try choice(node, "client_authentication", default: .form),
            parameters: try node.child("parameters")?.stringMap() ?? [:]
        )
        try node.rejectUnknownKeys()
        return grant
    }
}

extension HTTPVendorDefinition.Auth {
    /// The settings this auth names, by the key that names each.
    var references: [(key: String, name: String)] {
        switch self {
        case .none: []
        case .bearer(let secret): [("bearer", secret)]
        case .basic(let username, let password): [("basic.username", username), ("basic.password", password)]
        case .header(_, let secret, _): [("header.secret", secret)]
        case .query(_, let secret): [("query.secret", secret)]
        case .oauth2ClientCredentials(let grant):
            [
                ("oauth2_client_credentials.client_id", grant.clientID),
                ("oauth2_client_credentials.client_secret", grant.clientSecret),
            ]
        case .oauth2JWTBearer(let grant): [("oauth2_jwt_bearer.private_key", grant.privateKey)]
        }
    }
}
