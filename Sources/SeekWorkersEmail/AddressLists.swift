/// The lists an address is checked against, compiled into the binary (`Resources/`, sources and licences in
/// `Resources/SOURCES.md`).
enum AddressLists {
    static let disposableDomains = lines(PackageResources.disposable_domains_txt)
    static let roleAccounts = lines(PackageResources.role_accounts_txt)
    static let freeProviders = lines(PackageResources.free_providers_txt)

    /// A disposable domain, or a subdomain of one.
    static func isDisposable(_ domain: String) -> Bool {
        var candidate = Substring(domain)
        while true {
            if disposableDomains.contains(String(candidate)) { return true }
            guard let dot = candidate.firstIndex(of: ".") else { return false }
            candidate = candidate[candidate.index(after: dot)...]
        }
    }

    /// A shared mailbox rather than a person's: `info@`, `postmaster@`, `no-reply+tag@` (sub-addresses count).
    static func isRole(_ local: String) -> Bool {
        let base = local.lowercased().split(separator: "+", maxSplits: 1).first.map(String.init) ?? ""
        return roleAccounts.contains(base)
    }

    private static func lines(_ bytes: [UInt8]) -> Set<String> {
        Set(
            String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
        )
    }
}
