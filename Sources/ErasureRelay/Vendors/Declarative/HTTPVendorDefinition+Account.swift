extension HTTPVendorDefinition: VendorAccount {
    public func makeAdapter(settings: VendorSettings, userAgent: String) -> any VendorAdapter {
        DeclaredVendorAdapter(
            vendor: settings.vendor,
            definition: self,
            batching: settings.batching,
            userAgent: userAgent
        )
    }

    /// The definition summarised, as `check-config` shows it; its templates stay in the file they came from.
    public func configurationLines(revealingSecrets: Bool) -> [String] {
        func map(_ values: [String: String]) -> String {
            "{ " + values.keys.sorted().map { "\($0): \"\(values[$0]!)\"" }.joined(separator: ", ") + " }"
        }
        func url(_ path: TemplateText, _ query: [(name: String, value: TemplateText)]) -> String {
            TemplateText.display(path) + (query.isEmpty ? "" : "?")
                + query.map { "\($0.name)=\(TemplateText.display($0.value))" }.joined(separator: "&")
        }
        let lookupLine = lookup.map { lookup in
            ", lookup: { method: \(lookup.method.rawValue), url: \"\(url(lookup.path, lookup.query))\", "
                + "max_matches: \(lookup.maxMatches) }"
        }
        return [
            "kind: http",
            "settings: \(map(settings))",
            "secrets: \(map(secrets.mapValues { $0.shown(revealing: revealingSecrets) }))",
            "request: { method: \(method.rawValue), url: \"\(url(path, query))\", per: \(scope.rawValue), "
                + "content_type: \(contentType.rawValue), auth: \(auth.summary)\(lookupLine ?? "") }",
            "identifiers: \(map(Dictionary(uniqueKeysWithValues: identifiers.map { ($0.field.description, $0.name) })))",
            "answers: { rules: \(rules.count), default: \(defaultResult.rawValue) }",
        ]
            + (job.map { job in
                [
                    "job: { status: { method: \(job.method.rawValue), url: \"\(url(job.path, job.query))\" }, "
                        + "check_every_seconds: \(job.checkEverySeconds), give_up_after_seconds: \(job.giveUpAfterSeconds) }"
                ]
            } ?? [])
    }

    public func masked() -> any VendorAccount {
        var copy = self
        copy.secrets = secrets.mapValues { _ in .mask }
        return copy
    }
}
